"""Carrier tracking feeds: 快递100 and 快递鸟 pushes, the generic JSON batch and CSV imports.

- :mod:`.kuaidi100`, :mod:`.kdniao`: signatures, mapping tables, parsing (no I/O);
- :mod:`.traces`: how a scan without an explicit status gets one (read it before changing it);
- :mod:`.integrations`: the accounts (salts, AppKeys) allowed to push;
- :mod:`.ingest`: verify → store (deduplicated) → correct carrier / flag stall → evaluate;
- :mod:`.csv_import`: ``lanshou import tracking FILE`` in chunks, rejects to ``FILE.rejects.csv``;
- :mod:`.errors`: what a feed can refuse.
"""
