"""The worker and `lanshou audit verify` export the head; verify checks the chain against it,
with its exit codes and messages, and refuses a database that does not exist."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from lanshou.audit.head import parse_head
from lanshou.audit.keys import derive_key
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.entrypoints.cli.app import app as cli_app
from lanshou.entrypoints.cli.app import main
from lanshou.settings import get_settings, load_settings
from lanshou.worker import export_audit_head, run_worker

from .chain import NOW, SECRET, append, cut_last, keyed_sessions, rewrite_from, rows


def expected_line(sessions: sessionmaker[Session], count: int, at: str) -> str:
    with sessions() as s:
        last = rows(s)[-1]
    key = derive_key(SECRET)
    signed = (
        f"lanshou-audit-head/1 count={count} id={last.id} hash={last.hash} key={key.key_id} at={at}"
    )
    return f"{signed} mac={hmac.new(key.head, signed.encode(), hashlib.sha256).hexdigest()}"


def test_the_worker_exports_the_head_on_its_schedule_and_keeps_one_that_no_longer_holds(
    db_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 4)
    settings = load_settings(
        env="test", secret_key=SECRET, var_dir=tmp_path, worker_interval_seconds=3600
    )
    runtime = Runtime(settings, db_engine, sessions, FixedClock(NOW))
    head_file = tmp_path / "audit_head"
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(runtime, stop))
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not head_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join()
    at = "2026-12-03T12:00:00+00:00"
    assert head_file.read_text() == expected_line(sessions, 4, at) + "\n"

    append(sessions, 2, first=5)
    with caplog.at_level(logging.INFO, logger="lanshou.audit"):
        export_audit_head(runtime)
    assert head_file.read_text() == expected_line(sessions, 6, at) + "\n"
    assert caplog.messages == [f"audit head: {expected_line(sessions, 6, at)}"]

    exported = head_file.read_text()
    cut_last(sessions, 1)
    caplog.clear()
    export_audit_head(runtime)
    assert head_file.read_text() == exported  # kept as the evidence
    assert caplog.messages == [
        f"audit head in {head_file} no longer matches the database (records cut or "
        f"rewritten?); kept as it is, run `lanshou audit verify`: {exported.strip()}"
    ]


@pytest.fixture
def verify_env(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setenv("LANSHOU_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANSHOU_ENV", "test")
    monkeypatch.setenv("LANSHOU_SECRET_KEY", SECRET)
    monkeypatch.setenv("LANSHOU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    yield keyed_sessions(db_engine)
    get_settings.cache_clear()


def verify(*args: str) -> Result:
    return CliRunner().invoke(cli_app, ["audit", "verify", *args])


def test_verify_prints_the_count_writes_the_head_and_checks_it_the_next_time(
    verify_env: sessionmaker[Session], tmp_path: Path
) -> None:
    append(verify_env, 4)
    head_file = tmp_path / "audit_head"
    first = verify()
    assert first.exit_code == 0, first.output
    line = head_file.read_text().strip()
    assert first.stdout.splitlines() == [
        "audit chain intact: 4 records",
        "no audit head was exported before: records cut from the end could not be detected "
        "this time",
        f"audit head written to {head_file}:",
        line,
    ]
    head = parse_head(line, "test")
    assert line == expected_line(verify_env, 4, head.at.isoformat())

    second = verify()
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[:2] == [
        "audit chain intact: 4 records",
        f"consistent with the audit head exported at {head.at.isoformat()} in {head_file} "
        "(4 records)",
    ]


@pytest.mark.parametrize("cut", [1, 3])
def test_verify_exits_1_when_the_last_records_were_cut(
    verify_env: sessionmaker[Session], tmp_path: Path, cut: int
) -> None:
    append(verify_env, 6)
    assert verify().exit_code == 0
    head_file = tmp_path / "audit_head"
    exported = head_file.read_text()
    cut_last(verify_env, cut)
    result = verify()
    assert result.exit_code == 1
    at = parse_head(exported, "test").at.isoformat()
    assert result.stderr == (
        f"audit chain TRUNCATED: the audit head exported at {at} in "
        f"{head_file} counted 6 records, the database holds {6 - cut}\n"
    )
    assert result.stdout == ""
    assert head_file.read_text() == exported


def test_verify_exits_1_at_an_edit_re_hashed_without_the_key(
    verify_env: sessionmaker[Session],
) -> None:
    append(verify_env, 5)
    rewrite_from(verify_env, 3, reason="edited")
    with verify_env() as s:
        third = rows(s)[2].id
    result = verify()
    assert result.exit_code == 1
    assert result.stderr == (
        f"audit chain BROKEN at record {third}: its content does not match its hash (edited, "
        "or re-hashed without the key?) (2 records before it are intact)\n"
    )


def test_verify_checks_against_a_head_kept_elsewhere_such_as_a_dossier(
    verify_env: sessionmaker[Session], tmp_path: Path
) -> None:
    append(verify_env, 5)
    assert verify().exit_code == 0
    head_file = tmp_path / "audit_head"
    dossier = tmp_path / "dossier.json"
    dossier.write_text(
        json.dumps(
            {"exported_at": "…", "audit_head": head_file.read_text().strip(), "appeal": {"id": 1}},
            ensure_ascii=False,
            indent=2,
        )
    )
    at = parse_head(head_file.read_text(), "test").at.isoformat()
    head_file.unlink()  # whoever cut the records removed the local head too
    cut_last(verify_env, 1)
    result = verify("--head", str(dossier))
    assert result.exit_code == 1
    assert result.stderr == (
        f"audit chain TRUNCATED: the audit head exported at {at} in "
        f"{dossier} counted 5 records, the database holds 4\n"
    )
    assert not head_file.exists()


def test_a_forged_head_is_refused_with_exit_1(
    verify_env: sessionmaker[Session], tmp_path: Path
) -> None:
    append(verify_env, 3)
    assert verify().exit_code == 0
    head_file = tmp_path / "audit_head"
    head_file.write_text(head_file.read_text().replace("count=3", "count=2"))
    result = verify()
    assert result.exit_code == 1
    assert result.stderr == (
        f"the audit head in {head_file} is not authentic: its MAC does not match the configured "
        "secret keys (forged, or written with another LANSHOU_SECRET_KEY)\n"
    )


def test_verify_counts_plain_hash_records_and_speaks_chinese_by_default(
    verify_env: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    append(verify_env, 3)
    rewrite_from(verify_env, 1, reason="r1", scheme=1)  # as records from before 0009
    append(verify_env, 2, first=4)
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE")
    get_settings.cache_clear()
    result = verify()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "审计链完整：5 条记录",
        "其中 3 条写于审计链启用密钥之前，仅受普通 SHA-256 保护",
        "此前未导出过审计链头：本次无法发现末尾被删除的记录",
    ]


@pytest.mark.parametrize("where", ["missing-dir/x.db", "new.db"])
def test_verify_refuses_a_database_that_does_not_exist_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    url = f"sqlite:///{root / where}"
    monkeypatch.setenv("LANSHOU_DATABASE_URL", url)
    monkeypatch.setenv("LANSHOU_ENV", "test")
    monkeypatch.setenv("LANSHOU_SECRET_KEY", SECRET)
    monkeypatch.setenv("LANSHOU_VAR_DIR", str(root / "var"))
    monkeypatch.setattr(sys, "argv", ["lanshou", "audit", "verify"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"lanshou: no database at {url}: audit verify checks an existing database and creates "
        "none (check LANSHOU_DATABASE_URL)\n"
    )
    assert list(root.iterdir()) == []


def test_in_development_every_thread_signs_with_the_one_generated_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lanshou.audit.keys import keys_for

    monkeypatch.setenv("LANSHOU_ENV", "dev")
    monkeypatch.delenv("LANSHOU_SECRET_KEY")
    monkeypatch.setenv("LANSHOU_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(lambda _: keys_for(Session()).current.key_id, range(32)))
    finally:
        get_settings.cache_clear()
    assert ids == {derive_key((tmp_path / "secret_key").read_text()).key_id}
