"""Batch evaluation in DuckDB (`evaluate_batch`) and the `lanshou check` command.

The names are loaded on first use (PEP 562): :mod:`lanshou.imports` takes ``Rejected`` from
here, and a command that only imports a file (``import tracking``) should not start by loading
DuckDB and the terminal renderer (a quarter of its start-up).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lanshou.batch.check import run_check
    from lanshou.batch.cli import check_command
    from lanshou.batch.engine import RESULT_COLUMNS, evaluate_batch
    from lanshou.batch.inputs import (
        SHIPMENT_COLUMNS,
        CheckInputError,
        ReadResult,
        Rejected,
        ShipmentReader,
    )
    from lanshou.batch.result import CheckResult
    from lanshou.batch.rule_sql import quote
    from lanshou.batch.table import render_table

_MODULE_OF = {
    "RESULT_COLUMNS": "engine",
    "SHIPMENT_COLUMNS": "inputs",
    "CheckInputError": "inputs",
    "CheckResult": "result",
    "ReadResult": "inputs",
    "Rejected": "inputs",
    "ShipmentReader": "inputs",
    "check_command": "cli",
    "evaluate_batch": "engine",
    "quote": "rule_sql",
    "render_table": "table",
    "run_check": "check",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, an attribute like any other
    return value


__all__ = [
    "RESULT_COLUMNS",
    "SHIPMENT_COLUMNS",
    "CheckInputError",
    "CheckResult",
    "ReadResult",
    "Rejected",
    "ShipmentReader",
    "check_command",
    "evaluate_batch",
    "quote",
    "render_table",
    "run_check",
]
