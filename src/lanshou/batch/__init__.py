"""Batch evaluation in DuckDB (`evaluate_batch`) and the `lanshou check` command."""

from lanshou.batch.check import run_check
from lanshou.batch.engine import RESULT_COLUMNS, evaluate_batch
from lanshou.batch.inputs import CheckInputError, Rejected
from lanshou.batch.result import CheckResult
from lanshou.batch.table import render_table

__all__ = [
    "RESULT_COLUMNS",
    "CheckInputError",
    "CheckResult",
    "Rejected",
    "evaluate_batch",
    "render_table",
    "run_check",
]
