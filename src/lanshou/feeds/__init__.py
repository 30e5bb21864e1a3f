"""Carrier tracking feeds: 快递100 and 快递鸟 pushes, the generic JSON batch and CSV imports.

- :mod:`.kuaidi100`, :mod:`.kdniao`: signatures, mapping tables, parsing (no I/O);
- :mod:`.traces`: how a scan without an explicit status gets one (read it before changing it);
- :mod:`.integrations`: the accounts (salts, AppKeys) allowed to push;
- :mod:`.ingest`: verify → store (deduplicated) → correct carrier / flag stall → evaluate;
- :mod:`.subscription_rules`, :mod:`.subscribe_contracts`: tracking subscriptions without I/O
  (states, back-off, what a 快递100 push means; the 快递100 ``poll`` and 快递鸟 1008 requests and
  answers); :mod:`.subscription_client` sends them through the egress guard;
  :mod:`.subscriptions` leases, sends and records them for the worker and applies pushes;
  :mod:`.subscription_admin` is what administrators do (shop accounts, troubles, retry). Rows
  are queued by :mod:`lanshou.orders.tracking_queue` wherever a waybill is given;
- :mod:`.csv_import`: ``lanshou import tracking FILE`` in chunks, rejects to ``FILE.rejects.csv``;
- :mod:`.errors`: what a feed can refuse.
"""
