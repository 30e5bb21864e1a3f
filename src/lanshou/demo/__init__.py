"""The demo world: shops, carriers, outlets, couriers, orders, shipments and tracking events.

Public API: :func:`seed_demo`, :func:`database_is_empty`, :class:`DemoSummary`.
"""

from lanshou.demo.cases import seed_demo_cases
from lanshou.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from lanshou.demo.seed import DemoDataExists, DemoOutage, DemoSummary, database_is_empty, seed_demo
from lanshou.demo.users import DemoLogin

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoDataExists",
    "DemoLogin",
    "DemoOutage",
    "DemoSummary",
    "database_is_empty",
    "seed_demo",
    "seed_demo_cases",
]
