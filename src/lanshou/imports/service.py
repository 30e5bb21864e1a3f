"""``import_orders``: stream an order export into the database in chunked, resumable steps.

Two passes over each file, both streaming:

1. a scan of the time columns (and the header, and the encoding: a UTF-8 guess that fails
   later in the file switches to GB18030 and the scan starts again) decides each column's
   day/month order before anything is written;
2. the import proper, in chunks of :data:`CHUNK` rows. Each chunk is one transaction (orders,
   items, shipments, audit records, evaluation), so an interrupted import leaves whole chunks
   behind and running it again completes it: the upserts find the earlier chunks unchanged.
   The chunks only mark the shops whose fines their violations moved; the fines and points
   are re-allocated once, after the last chunk (re-allocating per chunk would re-read nearly
   every violation per chunk, an export not being in deadline order). An interrupted run's
   marks are honoured by the run that completes it, or by the next sweep.

Olist's two files are joined through a throw-away SQLite file on disk (items staged by order),
so memory stays bounded for any size of data set.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Platform
from lanshou.domain.rules.errors import RulesError
from lanshou.enforcement import RulesContext, drain_fine_marks
from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import load_mapping
from lanshou.imports.run import (
    CHUNK,
    ImportProgress,
    ImportRun,
    ImportSummary,
    ProgressFn,
    ReadRun,
)
from lanshou.imports.stream import SOURCES, read_orders
from lanshou.imports.upsert import ACTOR, OrderWriter, ensure_platform

__all__ = ["CHUNK", "SOURCES", "ImportProgress", "ImportSummary", "import_orders"]


def import_orders(
    sessions: sessionmaker[Session],
    path: Path,
    *,
    source: str,
    mapping: Path | None = None,
    shop: str | None = None,
    date_order: DateOrder | None = None,
    profile: str | None = None,
    items: Path | None = None,
    now: datetime,
    ctx: RulesContext,
    progress: ProgressFn | None = None,
    locale: str | None = None,
) -> ImportSummary:
    """Import an order export (generic, douyin or olist) into the database; see the module doc.

    `locale` is the language of the reasons in the rejects files (default zh_CN)."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}; use {', '.join(SOURCES)}")
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    layout = load_mapping(source, mapping)
    platform_code = profile or layout.platform
    with sessions() as session:
        known = session.execute(
            select(Platform.profile).where(Platform.code == platform_code)
        ).scalar_one_or_none()
    profile_name = known or platform_code
    try:
        tz = ctx.profile(profile_name).tz  # before creating anything: a bad name changes nothing
    except RulesError as exc:
        raise InvalidInput(f"profile {profile_name!r}: {exc}") from exc
    with sessions() as session:
        platform_id = ensure_platform(session, platform_code, profile_name)
        session.commit()
    summary = ImportSummary(source)
    writer = OrderWriter(platform_id, now, ctx, reason=f"import {path.name}", defer_fines=True)
    run = ImportRun(sessions, writer, ReadRun(summary, progress, locale=locale))
    chunks = read_orders(
        source, path, layout, run.read, tz=tz, shop=shop, date_order=date_order, items=items
    )
    for records, table in chunks:
        run.flush(records, table)
    drain_fine_marks(sessions, ctx.profile, now, ACTOR)
    return summary
