"""Ingest carrier feeds: verify first, then accept the scans into the tracking inbox.

Each function takes the caller's session and neither commits nor rolls back: a refused push
(:class:`~lanshou.feeds.errors.SignatureInvalid`, ``MalformedFeed``) raises before
anything is written, and the entry point's unit of work does the rest. The scans are stored
and judged when a worker folds the inbox (:mod:`lanshou.enforcement.inbox`); what a push
changes of its shipments itself (a corrected carrier, a stalled feed) happens here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Carrier, Shipment
from lanshou.domain.tracking import InboxScan, PlainEvent, TrackingUpdate
from lanshou.enforcement import accept_scans, accept_updates, judge_in_full, lock_waybills
from lanshou.feeds import douyin_route, kdniao, kuaidi100
from lanshou.feeds.integrations import find_signer
from lanshou.feeds.subscriptions import apply_kuaidi100_push
from lanshou.orders import CarrierResolver, ScanRecord, carrier_row, inbox_scans, record_scans

log = logging.getLogger("lanshou.feeds")


@dataclass
class IngestSummary:
    """What a feed accepted: its receipt, and what it did at once (carriers it could not
    name, shipments it corrected or flagged). Storing and judging come when a worker folds the
    receipt (:mod:`lanshou.enforcement.inbox`); their counts are the receipt's."""

    receipt_ids: list[int] = field(default_factory=list)
    received: int = 0
    unknown_carriers: int = 0
    unknown_carrier_names: list[str] = field(default_factory=list)
    stalled_shipments: list[int] = field(default_factory=list)
    corrected_shipments: list[int] = field(default_factory=list)

    @property
    def receipt_id(self) -> int:
        """The receipt of a single delivery (a request, a push)."""
        (only,) = self.receipt_ids
        return only

    def add(self, other: IngestSummary) -> None:
        self.receipt_ids += other.receipt_ids
        self.received += other.received
        self.unknown_carriers += other.unknown_carriers
        self.unknown_carrier_names = sorted(
            {*self.unknown_carrier_names, *other.unknown_carrier_names}
        )
        self.stalled_shipments += other.stalled_shipments
        self.corrected_shipments += other.corrected_shipments


def accept(
    session: Session,
    updates: Sequence[TrackingUpdate],
    now: datetime,
    source: str,
    unknown: Counter[str] | None = None,
) -> IngestSummary:
    """Append validated updates to the inbox under one receipt (the caller commits)."""
    unknown = unknown or Counter()
    accepted = accept_updates(
        session, updates, now, source=source, unknown_carriers=sum(unknown.values())
    )
    return IngestSummary(
        receipt_ids=[accepted.receipt_id],
        received=accepted.accepted,
        unknown_carriers=sum(unknown.values()),
        unknown_carrier_names=sorted(unknown),
    )


def _shipments(session: Session, waybill: str) -> list[Shipment]:
    query = select(Shipment).where(Shipment.waybill_no == waybill).order_by(Shipment.id)
    return list(session.execute(query).scalars())


def _actor(source: str, name: str) -> str:
    return f"{source}:{name}"[:64]


def ingest_kuaidi100(session: Session, param: str, sign: str, now: datetime) -> IngestSummary:
    """One 快递100 push: verify, store the trace, correct the carrier, flag a stalled feed and
    schedule its resubscription."""
    signer = find_signer(session, "kuaidi100", lambda salt: kuaidi100.verify(param, sign, salt))
    carriers = CarrierResolver.load(session)
    push = kuaidi100.parse_push(param, carriers)
    actor = _actor("kuaidi100", signer.name)
    unknown: Counter[str] = Counter()
    if push.com and carriers.code(push.com) is None:
        unknown[push.com] += len(push.updates) or 1
    # The push changes its shipments itself (carrier, stall flag): as a fold would, under the
    # waybill's lock, so no worker folds them meanwhile. Its scans go to the inbox.
    lock_waybills(session, [push.waybill])
    shipments = _shipments(session, push.waybill)
    corrected = _correct_carrier(session, push, shipments, carriers, actor, now)
    stalled = _flag_stall(session, push, shipments, actor, now)
    apply_kuaidi100_push(session, push, shipments, signer, now)
    # Another carrier may mean other rules: judged in full with this push's scans.
    judge_in_full(session, corrected, now)
    summary = accept(session, push.updates, now, kuaidi100.SOURCE, unknown)
    summary.corrected_shipments, summary.stalled_shipments = corrected, stalled
    return summary


def _correct_carrier(
    session: Session,
    push: kuaidi100.Kuaidi100Push,
    shipments: list[Shipment],
    carriers: CarrierResolver,
    actor: str,
    now: datetime,
) -> list[int]:
    """``comNew`` wins over what the seller entered: 快递100 re-detected the carrier."""
    if not push.carrier_changed or not shipments:
        return []
    code = carriers.code(push.com_new)
    if code is None:
        log.warning(
            "kuaidi100 corrected %s to unknown carrier %r; shipment carrier kept",
            push.waybill,
            push.com_new,
        )
        return []
    new = carrier_row(session, code)
    changed = []
    for sh in shipments:
        if sh.carrier_id == new.id:
            continue
        old = session.get(Carrier, sh.carrier_id) if sh.carrier_id else None
        sh.carrier_id = new.id
        audit.record(
            session,
            entity_type="shipment",
            entity_id=sh.id,
            action="carrier_corrected",
            actor=actor,
            at=now,
            reason="kuaidi100 comNew",
            data={
                "from": old.code if old else None,
                "to": code,
                "com_old": push.com_old,
                "com_new": push.com_new,
                "waybill": push.waybill,
            },
        )
        changed.append(sh.id)
    session.flush()
    return changed


def _flag_stall(
    session: Session,
    push: kuaidi100.Kuaidi100Push,
    shipments: list[Shipment],
    actor: str,
    now: datetime,
) -> list[int]:
    """``abort`` means 快递100 stopped watching: say so loudly; any later push clears it."""
    stalled = push.status == "abort"
    if stalled and not shipments:
        log.warning("kuaidi100 feed stalled for unknown waybill %s: %s", push.waybill, push.message)
    flagged = []
    for sh in shipments:
        if sh.feed_stalled == stalled:
            continue
        sh.feed_stalled = stalled
        action = "feed_stalled" if stalled else "feed_resumed"
        if stalled:
            log.warning(
                "kuaidi100 feed stalled for shipment %s (waybill %s): %s",
                sh.id,
                push.waybill,
                push.message,
            )
            flagged.append(sh.id)
        audit.record(
            session,
            entity_type="shipment",
            entity_id=sh.id,
            action=action,
            actor=actor,
            at=now,
            reason=push.message or push.status,
            data={"waybill": push.waybill, "status": push.status},
        )
    session.flush()
    return flagged


def ingest_kdniao(
    session: Session, request_data: str, data_sign: str, now: datetime
) -> tuple[str, IngestSummary]:
    """One 快递鸟 push (full traces every time; dedup collapses them). Returns EBusinessID too."""
    business_id = kdniao.business_id_of(request_data)
    find_signer(
        session,
        "kdniao",
        lambda key: kdniao.verify(request_data, data_sign, key),
        account_id=business_id,
    )
    carriers = CarrierResolver.load(session)
    push = kdniao.parse_push(request_data, carriers)
    unknown: Counter[str] = Counter()
    for u in push.updates:
        shipper = (u.raw or {}).get("_trace", {}).get("ShipperCode")
        if u.carrier_code is None and shipper:
            unknown[str(shipper)] += 1
    return business_id, accept(session, push.updates, now, kdniao.SOURCE, unknown)


def ingest_douyin_route(
    session: Session,
    body: bytes,
    *,
    shop_id: str,
    token: str,
    app_key: str,
    now: datetime,
    platform_codes: Mapping[str, str] | None = None,
) -> IngestSummary:
    """One 抖店 route callback (:mod:`.douyin_route`): read it (:class:`MalformedFeed`), check
    the token of the URL lanshou registered against the app's 抖店 integrations
    (:class:`SignatureInvalid`), then accept its scans into the inbox like any feed's."""
    push = douyin_route.parse_route(body, CarrierResolver.load(session), platform_codes)
    find_signer(
        session,
        douyin_route.SOURCE,
        lambda secret: douyin_route.verify_token(secret, shop_id, push.waybill, token),
        account_id=app_key,
    )
    unknown: Counter[str] = Counter()
    if push.express and push.updates and push.updates[0].carrier_code is None:
        unknown[push.express] += len(push.updates)
    return accept(session, push.updates, now, douyin_route.SOURCE, unknown)


def ingest_events(
    session: Session,
    events: Sequence[PlainEvent],
    now: datetime,
    *,
    source: str = "webhook",
) -> IngestSummary:
    """The generic JSON batch: resolve carriers, accept into the inbox (files of scans take
    the same steps in :func:`lanshou.imports.import_tracking`)."""
    unknown: Counter[str] = Counter()
    scans = inbox_scans(events, CarrierResolver.load(session), source, unknown)
    return _accept_scans(session, scans, now, source, unknown)


def ingest_records(
    session: Session,
    records: Sequence[ScanRecord],
    now: datetime,
    *,
    source: str = "webhook",
) -> IngestSummary:
    """:func:`ingest_events` of scans in tuples (the JSON batch read in one pass: no
    :class:`PlainEvent` per event)."""
    unknown: Counter[str] = Counter()
    scans = record_scans(records, CarrierResolver.load(session), source, unknown)
    return _accept_scans(session, scans, now, source, unknown)


def _accept_scans(
    session: Session, scans: list[InboxScan], now: datetime, source: str, unknown: Counter[str]
) -> IngestSummary:
    accepted = accept_scans(
        session, scans, now, source=source, unknown_carriers=sum(unknown.values())
    )
    return IngestSummary(
        receipt_ids=[accepted.receipt_id],
        received=accepted.accepted,
        unknown_carriers=sum(unknown.values()),
        unknown_carrier_names=sorted(unknown),
    )
