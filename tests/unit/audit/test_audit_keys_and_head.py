"""The audit keys come from HKDF with purpose labels; an exported head is one MAC'd line."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from lanshou.audit.head import parse_head, sign_head
from lanshou.audit.keys import AuditKeys, derive_key, hkdf_sha256
from lanshou.errors import InvalidInput

SECRET = "unit-audit-secret-0123456789"
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_hkdf_matches_rfc_5869_test_cases_1_and_3() -> None:
    ikm = bytes([0x0B] * 22)
    assert hkdf_sha256(ikm, bytes(range(0xF0, 0xFA)), 42, salt=bytes(range(13))).hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
    assert hkdf_sha256(ikm, b"", 42).hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_each_purpose_has_its_own_key_and_the_key_id_reveals_neither() -> None:
    key = derive_key(SECRET)
    prk = hmac.digest(bytes(32), SECRET.encode(), "sha256")

    def expand(label: bytes, n: int = 32) -> bytes:
        return hmac.digest(prk, label + b"\x01", "sha256")[:n]

    assert key.chain == expand(b"lanshou/audit/chain-record/v2")
    assert key.head == expand(b"lanshou/audit/exported-head/v1")
    assert key.key_id == expand(b"lanshou/audit/key-id", 8).hex()
    assert len({key.chain, key.head, SECRET.encode()}) == 3
    assert key.sign_record(b"body") == hmac.new(key.chain, b"body", hashlib.sha256).hexdigest()
    assert repr(key) == f"AuditKey(key_id='{key.key_id}')"  # no key material in logs


def test_retired_secrets_still_name_their_keys() -> None:
    keys = AuditKeys.from_secrets(SECRET, ["old-audit-secret-0123456789"])
    old = derive_key("old-audit-secret-0123456789")
    assert keys.get(old.key_id) == old
    assert keys.get(keys.current.key_id) == keys.current
    assert keys.get("0" * 16) is None and keys.get(None) is None


def test_a_head_line_round_trips_and_its_mac_covers_every_field() -> None:
    key = derive_key(SECRET)
    head = sign_head(12, 40, "a" * 64, key, AT)
    signed = (
        f"lanshou-audit-head/1 count=12 id=40 hash={'a' * 64} key={key.key_id} "
        "at=2026-12-03T12:00:00+00:00"
    )
    assert (
        head.line
        == signed + " mac=" + hmac.new(key.head, signed.encode(), hashlib.sha256).hexdigest()
    )
    found = parse_head(f'{{"audit_head": "{head.line}", "x": 1}}', "dossier.json")
    assert found == head and found.authentic(AuditKeys.from_secrets(SECRET))
    assert not found.authentic(AuditKeys.from_secrets("another-audit-secret-0123"))
    forged = parse_head(head.line.replace("count=12", "count=11"), "head")
    assert forged.count == 11 and not forged.authentic(AuditKeys.from_secrets(SECRET))


def test_text_without_a_head_line_is_refused_naming_its_source() -> None:
    with pytest.raises(InvalidInput, match=r"^notes.txt: no audit head line"):
        parse_head("count=12 hash=…", "notes.txt")
