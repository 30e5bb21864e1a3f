"""The audit log: every state change appends a hash-chained record (:mod:`.chain`).

:mod:`.keys` derives the chain's HMAC keys from the secret; :mod:`.head` exports the chain's
head so a cut or rebuilt chain shows against a copy kept outside the database.
"""

from lanshou.audit.chain import (
    KEYED,
    PLAIN,
    ChainReport,
    Entry,
    Problem,
    record,
    record_many,
    verify_chain,
)
from lanshou.audit.keys import GENESIS

__all__ = [
    "GENESIS",
    "KEYED",
    "PLAIN",
    "ChainReport",
    "Entry",
    "Problem",
    "record",
    "record_many",
    "verify_chain",
]
