"""The appeal state table, windows, limits, assessment, statement drafts, sniffing and EXIF."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from lanshou.adapters.storage import LocalDirectoryStorage, S3Storage, StorageUnavailable
from lanshou.adapters.storage.exif import photo_metadata
from lanshou.adapters.storage.sniff import UnacceptableFile, sanitise_filename, sniff
from lanshou.domain.appeals.assessment import Verdict, assess
from lanshou.domain.appeals.facts import CaseFacts, Contact
from lanshou.domain.appeals.limits import AppealLimits, LimitExceeded, WindowClosed
from lanshou.domain.appeals.machine import AppealState, TransitionNotAllowed, apply
from lanshou.domain.appeals.statement import draft_statement

S = AppealState
LEGAL = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.NEED_INFO, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "claim"): S.UNDER_REVIEW,
    (S.RECONSIDERATION, "claim"): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, "approve"): S.APPROVED,
    (S.UNDER_REVIEW, "reject"): S.REJECTED,
    (S.UNDER_REVIEW, "request_info"): S.NEED_INFO,
    (S.REJECTED, "reconsider"): S.RECONSIDERATION,
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    (S.SUBMITTED, "withdraw"): S.WITHDRAWN,
    (S.NEED_INFO, "withdraw"): S.WITHDRAWN,
    (S.DRAFT, "expire"): S.EXPIRED,
    (S.NEED_INFO, "expire"): S.EXPIRED,
    (S.REJECTED, "expire"): S.EXPIRED,
}
EVENTS = (
    "submit",
    "claim",
    "approve",
    "reject",
    "request_info",
    "reconsider",
    "withdraw",
    "expire",
)


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("event", EVENTS)
def test_every_transition_is_legal_exactly_when_the_table_says(state, event) -> None:  # type: ignore[no-untyped-def]
    expected = LEGAL.get((state, event))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            apply(state.value, event)
    else:
        assert apply(state.value, event) == expected


def test_rejection_in_the_last_round_is_final() -> None:
    assert apply("under_review", "reject", rounds_left=False) == S.REJECTED_FINAL


NOTICE = datetime(2026, 11, 3, 4, tzinfo=UTC)


def test_windows_and_limits_come_from_the_profile() -> None:
    lim = AppealLimits()
    lim.check_appeal_window(NOTICE, NOTICE + timedelta(days=7))
    with pytest.raises(WindowClosed) as closed:
        lim.check_appeal_window(NOTICE, NOTICE + timedelta(days=7, seconds=1))
    assert (closed.value.window, closed.value.days) == ("appeal", 7)
    with pytest.raises(WindowClosed):
        lim.check_reconsideration_window(NOTICE, NOTICE + timedelta(days=8))
    lim.check_statement("字" * 200)
    with pytest.raises(LimitExceeded) as long:
        lim.check_statement("字" * 201)
    assert (long.value.limit, long.value.actual) == (200, 201)
    with pytest.raises(LimitExceeded):
        lim.check_images(6)
    assert lim.rounds_left_after(1) and not lim.rounds_left_after(2)


DEADLINE = datetime(2026, 11, 3, 4, tzinfo=UTC)


def _facts(**kw) -> CaseFacts:  # type: ignore[no-untyped-def]
    base = {
        "rule_id": "pickup_timeout",
        "rule_label_zh": "揽收超时",
        "awaits_pickup": True,
        "deadline": DEADLINE,
        "order_external_id": "A000",
        "waybill_no": "SF1",
        "carrier_name": "顺丰",
        "shipped_at": DEADLINE - timedelta(hours=20),
    }
    return CaseFacts(**{**base, **kw})


@pytest.mark.parametrize(
    ("facts", "verdict", "code"),
    [
        (
            _facts(first_pickup_at=DEADLINE - timedelta(hours=1)),
            Verdict.APPROVE,
            "pickup_before_deadline",
        ),
        (_facts(exemption_reason="台风"), Verdict.APPROVE, "exemption_covers_window"),
        (
            _facts(contacts=(Contact(DEADLINE - timedelta(hours=3), "courier", "phone"),)),
            Verdict.APPROVE_LEANING,
            "carrier_contacted_no_scan",
        ),
        (
            _facts(ship_by=DEADLINE - timedelta(hours=30), merchant_evidence=1),
            Verdict.REJECT_LEANING,
            "shipped_after_ship_by",
        ),
        (_facts(), Verdict.REJECT, "no_evidence"),
    ],
)
def test_assessment_rules(facts, verdict, code) -> None:  # type: ignore[no-untyped-def]
    result = assess(facts)
    assert result.verdict == verdict
    assert code in [r.code for r in result.reasons]


def test_a_late_mark_shipped_weighs_only_against_a_rule_that_waits_for_the_pickup() -> None:
    late = {"ship_by": DEADLINE - timedelta(hours=30), "merchant_evidence": 1}
    pickup = assess(_facts(rule_id="cold_chain_pickup", rule_label_zh="冷链揽收超时", **late))
    assert [r.code for r in pickup.reasons] == ["shipped_after_ship_by"]
    assert pickup.verdict == Verdict.REJECT_LEANING
    shipping = assess(_facts(rule_id="ship_timeout", awaits_pickup=False, **late))
    assert shipping.reasons == [] and shipping.verdict == Verdict.UNDECIDED


def test_the_statement_names_the_rule_as_its_profile_does() -> None:
    facts = _facts(rule_id="cold_chain_pickup", rule_label_zh="冷链揽收超时")
    assert draft_statement(facts, 0, 200) == (
        "订单A000被判冷链揽收超时，申请撤销处罚。"
        "我方已于2026-11-02 08:00按时发货（顺丰，运单号SF1）。"
    )


def test_statement_draft_stays_within_the_limit_and_ends_on_a_sentence() -> None:
    facts = _facts(
        contacts=(Contact(DEADLINE - timedelta(hours=3), "courier", "phone"),),
        exemption_reason="台风「海燕」影响" * 3,
    )
    full = draft_statement(facts, 2, 200)
    assert len(full) <= 200 and full.endswith("。") and "A000" in full
    short = draft_statement(facts, 2, 40)
    assert len(short) <= 40
    assert len(draft_statement(facts, 2, 5)) <= 5


def _img(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, fmt)
    return out.getvalue()


def _pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(10, 10, "x")
    c.save()
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "media"),
    [
        (_img("JPEG"), "a.jpg", "image/jpeg"),
        (_img("PNG"), "a.png", "image/png"),
        (_img("WEBP"), "a.webp", "image/webp"),
        (_pdf(), "a.pdf", "application/pdf"),
        (b"#!AMR\n" + b"\x00" * 20, "v.amr", "audio/amr"),
        ("你好，快递何时上门".encode(), "chat.txt", "text/plain"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "chat.html", "text/html"),
    ],
)
def test_types_are_sniffed_from_the_bytes(data, name, media) -> None:  # type: ignore[no-untyped-def]
    assert sniff(data, name).media_type == media


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (_img("PNG"), "photo.jpg"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "a.txt"),
        (b"", "a.txt"),
    ],
)
def test_mismatched_or_unknown_types_are_refused(data, name) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnacceptableFile):
        sniff(data, name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        (".htaccess", "htaccess"),
        ("a\x00b.jpg", "a_b.jpg"),
        ("", "file"),
        ("..", "file"),
    ],
)
def test_file_names_are_sanitised(raw, clean) -> None:  # type: ignore[no-untyped-def]
    assert sanitise_filename(raw) == clean


def test_exif_capture_time_and_gps_are_extracted() -> None:
    exif = Image.Exif()
    exif[0x0132] = "2026:11:03 09:15:00"
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 9.0, 36.0)}
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif.tobytes())
    meta = photo_metadata(out.getvalue())
    assert meta["captured_at"] == "2026-11-03T09:15:00"
    assert meta["gps"] == {"lat": 30.25, "lon": 120.16}
    assert photo_metadata(_img("PNG")) == {"width": 4, "height": 4}


def test_local_storage_is_content_addressed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalDirectoryStorage(tmp_path)
    first, second = store.put(b"abc"), store.put(b"abc")
    assert first.created and not second.created and first.sha256 == second.sha256
    assert store.get(first.sha256) == b"abc"
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_s3_storage_without_boto3_says_how_to_fix(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    real = importlib.import_module

    def fake(name: str, *a):  # type: ignore[no-untyped-def]
        if name == "boto3":
            raise ImportError("no boto3")
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(StorageUnavailable, match="pip install boto3"):
        S3Storage("bucket")


def test_the_english_reason_counts_contacts_in_words() -> None:
    """Read in the English dossier as a sentence: a capital, and "once" rather than "1 time(s)"."""
    call = Contact(DEADLINE - timedelta(hours=3), "courier", "phone")
    once = assess(_facts(contacts=(call,))).reasons[0].text_en
    twice = assess(_facts(contacts=(call, call))).reasons[0].text_en
    assert once == (
        "The carrier was contacted once before the deadline and no scan followed: "
        "carrier fault likely"
    )
    assert twice.startswith("The carrier was contacted 2 times before the deadline")
