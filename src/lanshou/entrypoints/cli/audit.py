"""``lanshou audit verify``: prove the audit trail has not been edited or cut.

Exit 0: intact and consistent with every exported head given; 1: a record edited, deleted,
re-hashed or cut, or a head that is not authentic; 2: no such database, an unreadable head.
"""

from __future__ import annotations

from pathlib import Path

import typer

from lanshou.adapters.db.dialect import database_file_missing
from lanshou.adapters.db.engine import safe_url
from lanshou.audit import (
    ChainReport,
    Head,
    Problem,
    keys_for,
    parse_head,
    read_head_file,
    sign_head,
    verify_chain,
    write_head_file,
)
from lanshou.bootstrap import Runtime, bootstrap
from lanshou.errors import DatabaseUnavailable, InvalidInput
from lanshou.i18n import N_, translate
from lanshou.settings import Settings, get_settings

app = typer.Typer(help="Audit trail tools.", no_args_is_help=True)

_BROKEN = {
    Problem.LINK: N_("its link to the previous record is broken (a record deleted or inserted?)"),
    Problem.CONTENT: N_(
        "its content does not match its hash (edited, or re-hashed without the key?)"
    ),
    Problem.DOWNGRADE: N_("a plain-hash record after keyed records (re-hashed without the key?)"),
    Problem.UNKNOWN_KEY: N_(
        "signed with a key that none of the configured secret keys gives "
        "(a retired key missing from LANSHOU_AUDIT_RETIRED_KEYS?)"
    ),
    Problem.HEAD_MISMATCH: N_(
        "it differs from the audit head exported at %(at)s in %(source)s, "
        "which counted %(expected)s records (rewritten?)"
    ),
}


def existing_database(settings: Settings) -> Runtime:
    """The runtime of a lanshou database that exists: checking one creates none.

    Other commands create and migrate the database they are pointed at; a verification
    pointed at a wrong path would then find an empty, "intact" chain.
    """
    url = settings.resolved_database_url()
    if database_file_missing(url):
        raise DatabaseUnavailable(
            f"no database at {safe_url(url)}: audit verify checks an existing database "
            "and creates none (check LANSHOU_DATABASE_URL)"
        )
    rt = bootstrap(settings, migrate=False)
    from lanshou.adapters.db.migrate import ensure_current, stored_revisions

    if not stored_revisions(rt.engine):
        raise DatabaseUnavailable(
            f"{safe_url(url)} is not a lanshou database (no schema): nothing to verify"
        )
    ensure_current(rt.engine)  # an older lanshou database gains the keyed-chain columns
    return rt


def _head_from(path: Path) -> Head:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInput(f"--head {path}: {exc.strerror}", field="head") from exc
    return parse_head(text, str(path))


def _fail(locale: str, msgid: str, **params: object) -> None:
    typer.secho(translate(locale, msgid, **params), err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _report_problem(locale: str, report: ChainReport, sources: dict[Head, str]) -> None:
    head = report.head
    where = (
        {"at": head.at.isoformat(), "source": sources[head], "expected": head.count}
        if head is not None
        else {}
    )
    if report.problem is Problem.TRUNCATED:
        _fail(
            locale,
            N_(
                "audit chain TRUNCATED: the audit head exported at %(at)s in "
                "%(source)s counted %(expected)s records, the database holds "
                "%(count)s"
            ),
            count=report.checked,
            **where,
        )
    assert report.problem is not None
    problem = translate(locale, _BROKEN[report.problem], **where)
    _fail(
        locale,
        N_(
            "audit chain BROKEN at record %(id)s: %(problem)s (%(count)s records "
            "before it are intact)"
        ),
        id=report.first_bad_id,
        problem=problem,
        count=report.checked,
    )


@app.command("verify")
def verify(
    head: Path | None = typer.Option(
        None,
        "--head",
        help="also check against an audit head exported elsewhere: a head "
        "file, a log, or an appeal dossier's dossier.json",
    ),
) -> None:
    """Check every audit record's hash and link, and the chain against its exported heads;
    exit 1 when a record was tampered with or cut."""
    settings = get_settings()
    rt = existing_database(settings)
    locale = settings.default_locale
    head_file = settings.resolved_audit_head_file()
    sources: dict[Head, str] = {}
    if (exported := read_head_file(head_file)) is not None:
        sources[exported] = str(head_file)
    if head is not None:
        sources.setdefault(_head_from(head), str(head))
    with rt.sessions() as session:
        keys = keys_for(session)
        for h, source in sources.items():
            if not h.authentic(keys):
                _fail(
                    locale,
                    N_(
                        "the audit head in %(source)s is not authentic: its MAC does "
                        "not match the configured secret keys (forged, or written "
                        "with another LANSHOU_SECRET_KEY)"
                    ),
                    source=source,
                )
        report = verify_chain(session, keys, list(sources))
    if not report.ok:
        _report_problem(locale, report, sources)
    typer.echo(translate(locale, N_("audit chain intact: %(count)s records"), count=report.checked))
    if report.plain:
        typer.echo(
            translate(
                locale,
                N_(
                    "%(plain)s of them were written before the chain was "
                    "keyed and are protected by a plain SHA-256 only"
                ),
                plain=report.plain,
            )
        )
    for h, source in sources.items():
        typer.echo(
            translate(
                locale,
                N_(
                    "consistent with the audit head exported at %(at)s in "
                    "%(source)s (%(expected)s records)"
                ),
                at=h.at.isoformat(),
                source=source,
                expected=h.count,
            )
        )
    if not sources:
        typer.echo(
            translate(
                locale,
                N_(
                    "no audit head was exported before: records cut from "
                    "the end could not be detected this time"
                ),
            )
        )
    fresh = sign_head(
        report.checked, report.last_id, report.last_hash, keys.current, rt.clock.now()
    )
    write_head_file(head_file, fresh)
    typer.echo(translate(locale, N_("audit head written to %(path)s:"), path=str(head_file)))
    typer.echo(fresh.line)
