"""Batch evaluation in DuckDB (`evaluate_batch`) and the `lanshou check` command.

The names are loaded on first use (PEP 562): :mod:`lanshou.imports` takes ``Rejected`` from
here, and a command that only imports a file (``import tracking``) should not start by loading
DuckDB and the terminal renderer (a quarter of its start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lanshou.lazy import exports_on_first_use

if TYPE_CHECKING:
    from lanshou.batch.check import run_check
    from lanshou.batch.cli import check_command
    from lanshou.batch.engine import RESULT_COLUMNS, evaluate_batch
    from lanshou.batch.inputs import (
        SHIPMENT_COLUMNS,
        CheckInputError,
        ReadResult,
        Reason,
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
    "Reason": "inputs",
    "Rejected": "inputs",
    "ShipmentReader": "inputs",
    "check_command": "cli",
    "evaluate_batch": "engine",
    "quote": "rule_sql",
    "render_table": "table",
    "run_check": "check",
}


__getattr__ = exports_on_first_use(__name__, _MODULE_OF)


__all__ = [
    "RESULT_COLUMNS",
    "SHIPMENT_COLUMNS",
    "CheckInputError",
    "CheckResult",
    "ReadResult",
    "Reason",
    "Rejected",
    "ShipmentReader",
    "check_command",
    "evaluate_batch",
    "quote",
    "render_table",
    "run_check",
]
