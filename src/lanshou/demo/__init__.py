"""The demo world: shops, carriers, outlets, couriers, orders, shipments and tracking events.

Public API: :func:`seed_demo`, :func:`database_is_empty`, :class:`DemoSummary`.
"""

from lanshou.demo.seed import DemoDataExists, DemoOutage, DemoSummary, database_is_empty, seed_demo
from lanshou.demo.users import DemoLogin

__all__ = [
    "DemoDataExists",
    "DemoLogin",
    "DemoOutage",
    "DemoSummary",
    "database_is_empty",
    "seed_demo",
]
