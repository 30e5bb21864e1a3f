"""App secrets and tokens encrypted at rest (Fernet), under a key of their own.

The key is derived from ``LANSHOU_SECRET_KEY`` by the same HKDF as the audit chain's keys
(``audit.keys.hkdf_sha256``) with its own purpose label, so it never sits in the database and
knowing an audit key does not open a connection secret. Whoever can read the database but not
the secret sees only Fernet tokens.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken

from lanshou.audit import hkdf_sha256
from lanshou.errors import LanshouError

__all__ = ["SecretBox", "SecretUnreadable"]

_LABEL = b"lanshou/platforms/connection-secrets/v1"


class SecretUnreadable(LanshouError):
    """A stored secret does not open with this key: LANSHOU_SECRET_KEY changed since."""


class SecretBox:
    """Seals and opens connection secrets; holds the derived key, shows nothing of it."""

    def __init__(self, secret_key: str) -> None:
        key = hkdf_sha256(secret_key.encode(), _LABEL)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                "a stored platform secret does not decrypt: LANSHOU_SECRET_KEY changed since the "
                "shop was connected; connect it again"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(…)"
