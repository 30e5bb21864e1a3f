"""Analytics: money lost and recovered, carrier scorecards, breach prediction and what-if.

Every query takes a :class:`~lanshou.orders.listing.Scope`, so tenants only see their shops.
"""
