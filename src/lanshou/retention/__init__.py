"""Retention: old tracking events archived to Parquet, then dropped; folded inbox rows pruned.

``lanshou retention --keep-months N`` runs :func:`run_retention`. :mod:`.floor` decides the
smallest N that still keeps every event an appeal may need; :mod:`.archive` writes and checks
one Parquet file per month.
"""

from lanshou.retention.floor import EvidenceFloor, RetentionRefused, evidence_floor
from lanshou.retention.run import MonthArchived, RetentionPolicy, RetentionResult, run_retention

__all__ = [
    "EvidenceFloor",
    "MonthArchived",
    "RetentionPolicy",
    "RetentionRefused",
    "RetentionResult",
    "evidence_floor",
    "run_retention",
]
