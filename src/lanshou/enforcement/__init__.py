"""Enforcement: tracking events in, deadlines judged, violations, fines and the money ledger.

The event path: :mod:`.tracking` records and triages events, :mod:`.evaluation` judges
shipments against the rules (:mod:`.facts` loads what it needs), :mod:`.fines` allocates the
capped fines and points, :mod:`.ledger` books the money, :mod:`.warnings` and :mod:`.sweep`
act on deadlines as they come due. :mod:`.exemptions` and :mod:`.explain` serve people.
"""

from lanshou.enforcement.assumptions import assumption_lines
from lanshou.enforcement.dead_letters import (
    DeadLetter,
    list_dead_letters,
    retry_dead_letters,
)
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.exemption_file import load_exemptions_file
from lanshou.enforcement.exemptions import (
    ExemptionRequest,
    decide_report,
    declare_event,
    list_exemptions,
    recompute_open,
    report_force_majeure,
)
from lanshou.enforcement.explain import ShipmentExplanation, explain
from lanshou.enforcement.facts import load_facts
from lanshou.enforcement.fines import drain_fine_marks
from lanshou.enforcement.inbox import (
    DrainResult,
    accept_scans,
    accept_updates,
    drain_inbox,
    judge_in_full,
    lock_waybills,
)
from lanshou.enforcement.ledger import MONEY_KINDS, reverse_all
from lanshou.enforcement.profile_listing import profile_listing
from lanshou.enforcement.receipts import ReceiptView, read_receipt, receipt_totals
from lanshou.enforcement.rules_context import RulesContext, approved_exemptions
from lanshou.enforcement.sweep import SweepResult, evaluate_all, run_sweep
from lanshou.enforcement.tracking import attach_orphan_events, record_events

__all__ = [
    "MONEY_KINDS",
    "DeadLetter",
    "DrainResult",
    "ExemptionRequest",
    "ReceiptView",
    "RulesContext",
    "ShipmentExplanation",
    "SweepResult",
    "accept_scans",
    "accept_updates",
    "approved_exemptions",
    "assumption_lines",
    "attach_orphan_events",
    "decide_report",
    "declare_event",
    "drain_fine_marks",
    "drain_inbox",
    "evaluate_all",
    "evaluate_shipments",
    "explain",
    "judge_in_full",
    "list_dead_letters",
    "list_exemptions",
    "load_exemptions_file",
    "load_facts",
    "lock_waybills",
    "profile_listing",
    "read_receipt",
    "receipt_totals",
    "recompute_open",
    "record_events",
    "report_force_majeure",
    "retry_dead_letters",
    "reverse_all",
    "run_sweep",
]
