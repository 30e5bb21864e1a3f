"""Enforcement: tracking events in, deadlines judged, violations, fines and the money ledger.

The event path: :mod:`.tracking` records and triages events, :mod:`.evaluation` judges
shipments against the rules (:mod:`.facts` loads what it needs), :mod:`.fines` allocates the
capped fines and points, :mod:`.ledger` books the money, :mod:`.warnings` and :mod:`.sweep`
act on deadlines as they come due. :mod:`.exemptions` and :mod:`.explain` serve people.
"""
