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
from lanshou.audit.head import (
    Head,
    current_head,
    export_head,
    parse_head,
    read_head_file,
    sign_head,
    write_head_file,
)
from lanshou.audit.keys import GENESIS, AuditKeys, bind_keys, hkdf_sha256, keys_for

__all__ = [
    "GENESIS",
    "KEYED",
    "PLAIN",
    "AuditKeys",
    "ChainReport",
    "Entry",
    "Head",
    "Problem",
    "bind_keys",
    "current_head",
    "export_head",
    "hkdf_sha256",
    "keys_for",
    "parse_head",
    "read_head_file",
    "record",
    "record_many",
    "sign_head",
    "verify_chain",
    "write_head_file",
]
