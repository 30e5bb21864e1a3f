"""Analytics: money lost and recovered, carrier scorecards, breach prediction and what-if.

Every query takes a :class:`~lanshou.services.orders.Scope`, so tenants only see their shops.
"""
