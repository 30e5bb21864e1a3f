"""Batch evaluation in DuckDB (`evaluate_batch`) and the `lanshou check` command."""

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
