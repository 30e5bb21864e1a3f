"""Evidence with more than one app server: two runtimes, each with its own var_dir and its own
engine, on one database. What one stores, the other serves and puts in the dossier, and files
stored on a local disk before the database store keep working until they are moved in."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.models import Evidence, EvidenceBlob, EvidenceBlobChunk, User
from lanshou.adapters.storage import DatabaseStorage, LocalDirectoryStorage
from lanshou.entrypoints.app import create_app
from lanshou.entrypoints.cli.app import app as cli_app
from lanshou.settings import get_settings
from tests.integration.appeals.conftest import jpeg_bytes, png_bytes
from tests.integration.web.world import World, bearer, login, make_runtime

API = "/api/v1"
PHOTO = jpeg_bytes()
DIGEST = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def other_sessions(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A second server's own connection pool to the same database."""
    engine = make_engine(db_engine.url.render_as_string(hide_password=False))
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _file_and_upload(client: TestClient, violation_id: int) -> tuple[int, int]:
    merchant = bearer(client, "merchant")
    created = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": "快递员未上门揽收"},
        headers=merchant,
    )
    assert created.status_code == 201, created.text
    aid = int(created.json()["id"])
    up = client.post(
        f"{API}/appeals/{aid}/evidence", files={"file": ("交接照片.jpg", PHOTO)}, headers=merchant
    )
    assert up.status_code == 201, up.text
    assert up.json()["sha256"] == DIGEST
    assert client.post(f"{API}/appeals/{aid}/submit", headers=merchant).status_code == 200
    return aid, int(up.json()["evidence_id"])


def _photo_through(client: TestClient, aid: int, eid: int) -> bytes:
    login(client, "merchant")
    got = client.get(f"/appeals/{aid}/evidence/{eid}")
    assert got.status_code == 200, got.text
    return got.content


def _dossier_through(client: TestClient, aid: int) -> bytes:
    got = client.get(f"{API}/appeals/{aid}/dossier", headers=bearer(client, "reviewer"))
    assert got.status_code == 200, got.text
    return got.content


def _sums(dossier: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(dossier)).read("SHA256SUMS").decode()


def test_evidence_uploaded_through_one_server_is_served_and_exported_by_another(
    sessions: sessionmaker[Session], other_sessions: sessionmaker[Session], world: World,
    violation_id: int, tmp_path: Path,
) -> None:  # fmt: skip
    a = make_runtime(sessions, var_dir=tmp_path / "a")
    b = make_runtime(other_sessions, var_dir=tmp_path / "b")
    with TestClient(create_app(a)) as ca, TestClient(create_app(b)) as cb:
        aid, eid = _file_and_upload(ca, violation_id)
        assert _photo_through(cb, aid, eid) == PHOTO
        from_a, from_b = _dossier_through(ca, aid), _dossier_through(cb, aid)
    assert from_a == from_b  # hashes, thumbnails and PDF identical, byte for byte
    assert f"{DIGEST}  evidence/{eid}-交接照片.jpg" in _sums(from_b).splitlines()
    assert not (tmp_path / "a" / "evidence").exists()  # nothing on server A's disk
    with sessions() as s:
        # the photo and the system evidence JSON of the submission
        assert s.execute(select(func.count()).select_from(EvidenceBlob)).scalar_one() == 2


def test_files_on_disk_are_read_through_the_fallback_then_moved_by_the_command(
    sessions: sessionmaker[Session], other_sessions: sessionmaker[Session], world: World,
    violation_id: int, tmp_path: Path, db_engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Before the upgrade: one server storing evidence in its var_dir.
    old = make_runtime(sessions, var_dir=tmp_path / "a", evidence_store="local")
    with TestClient(create_app(old)) as client:
        aid, eid = _file_and_upload(client, violation_id)
        before = _dossier_through(client, aid)
    on_disk = tmp_path / "a" / "evidence" / DIGEST[:2] / DIGEST[2:4] / DIGEST
    assert on_disk.read_bytes() == PHOTO
    # After it: the same machine reads the file through the fallback; another one cannot yet.
    same = make_runtime(sessions, var_dir=tmp_path / "a")
    other = make_runtime(other_sessions, var_dir=tmp_path / "b")
    with TestClient(create_app(same)) as client:
        assert _photo_through(client, aid, eid) == PHOTO
        assert _dossier_through(client, aid) == before
    with TestClient(create_app(other)) as client:
        login(client, "merchant")
        assert client.get(f"/appeals/{aid}/evidence/{eid}").status_code == 404
    # A file whose bytes no longer match its name is reported and left; good ones move.
    bad = tmp_path / "a" / "evidence" / ("0" * 2) / ("0" * 2) / ("0" * 64)
    bad.parent.mkdir(parents=True)
    bad.write_bytes(png_bytes())
    monkeypatch.setenv("LANSHOU_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANSHOU_ENV", "test")
    monkeypatch.setenv("LANSHOU_VAR_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    try:
        ran = CliRunner().invoke(cli_app, ["evidence", "import-files", "--delete"])
        again = CliRunner().invoke(cli_app, ["evidence", "import-files"])
    finally:
        get_settings.cache_clear()
    assert ran.exit_code == 1, ran.output
    assert ran.stderr.splitlines() == [
        f"{bad}: content hashes to {hashlib.sha256(png_bytes()).hexdigest()}, not its name; "
        "left alone"
    ]
    system_json = [p for p in (tmp_path / "a" / "evidence").glob("??/??/*") if p.name != "0" * 64]
    assert len(system_json) == 0  # moved and deleted: the photo and the system evidence
    assert ran.stdout.splitlines() == [
        f"2 evidence files ({len(PHOTO) + _system_size(sessions)} bytes) moved into the database "
        f"from {tmp_path / 'a' / 'evidence'}, 0 were there already, 1 left alone"
    ]
    assert again.stdout.splitlines() == [
        f"0 evidence files (0 bytes) moved into the database from {tmp_path / 'a' / 'evidence'}, "
        "0 were there already, 1 left alone"
    ]
    assert bad.exists()
    # Now the other server serves it and exports the same dossier as before.
    with TestClient(create_app(other)) as client:
        assert _photo_through(client, aid, eid) == PHOTO
        assert _dossier_through(client, aid) == before


def _system_size(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(
            s.execute(select(Evidence.size_bytes).where(Evidence.kind == "system")).scalar_one()
        )


def test_blobs_are_chunked_deduplicated_and_commit_with_the_caller(
    sessions: sessionmaker[Session], db_engine: Engine, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 10  # 2,560 bytes: chunks of 1,000, 1,000 and 560
    store = DatabaseStorage(db_engine, chunk_bytes=1000)
    with sessions() as s:
        first = store.within(s).put(data)
        s.rollback()  # the caller's transaction decides: nothing stays
    assert first.created and not store.exists(first.sha256)
    with sessions() as s:
        assert store.within(s).put(data).created
        s.commit()
    again = store.put(data)
    assert (again.sha256, again.size, again.created) == (
        hashlib.sha256(data).hexdigest(),
        2560,
        False,
    )
    with sessions() as s:
        sizes = s.execute(
            select(func.length(EvidenceBlobChunk.data)).order_by(EvidenceBlobChunk.seq)
        ).scalars()
        assert list(sizes) == [1000, 1000, 560]
    assert store.get(first.sha256) == data
    with pytest.raises(FileNotFoundError):
        store.get("f" * 64)
    # A file only in the fallback directory is found there.
    local = LocalDirectoryStorage(tmp_path / "evidence")
    only_on_disk = local.put(b"on disk only")
    with_fallback = DatabaseStorage(db_engine, fallback=local)
    assert with_fallback.exists(only_on_disk.sha256) and not store.exists(only_on_disk.sha256)
    assert with_fallback.get(only_on_disk.sha256) == b"on disk only"


def test_a_file_of_several_chunks_is_streamed_piece_by_piece_and_served_byte_identical(
    sessions: sessionmaker[Session], world: World, violation_id: int, tmp_path: Path
) -> None:
    from lanshou.appeals import evidence_file
    from lanshou.domain.roles import Role
    from lanshou.identity import Principal

    # 2,621,440 bytes of chat log: two full 1 MiB chunks and a last one of 524,288 bytes.
    line = "快递员说明天再来揽收 courier says he will come tomorrow 0123456789\n".encode()
    chat = (line * (2_621_440 // len(line) + 1))[:2_621_440]
    chat = chat[: chat.rindex(b"\n") + 1]  # whole lines, valid UTF-8
    digest = hashlib.sha256(chat).hexdigest()
    runtime = make_runtime(sessions, var_dir=tmp_path)
    with TestClient(create_app(runtime)) as client:
        merchant = bearer(client, "merchant")
        created = client.post(
            f"{API}/appeals",
            json={"violation_id": violation_id, "channel": "online", "statement": "未上门揽收"},
            headers=merchant,
        )
        aid = int(created.json()["id"])
        up = client.post(
            f"{API}/appeals/{aid}/evidence",
            files={"file": ("聊天记录.txt", chat)},
            headers=merchant,
        )
        assert up.status_code == 201, up.text
        eid = int(up.json()["evidence_id"])
        api = client.get(f"{API}/appeals/{aid}/evidence/{eid}", headers=merchant)
        assert (api.status_code, api.headers["content-length"]) == (200, str(len(chat)))
        assert api.content == chat
        login(client, "merchant")
        page = client.get(f"/appeals/{aid}/evidence/{eid}")
        assert (page.status_code, page.headers["content-type"]) == (
            200,
            "text/plain; charset=utf-8",
        )
        assert page.content == chat
        dossier = _dossier_through(client, aid)
    assert zipfile.ZipFile(io.BytesIO(dossier)).read(f"evidence/{eid}-聊天记录.txt") == chat
    assert f"{digest}  evidence/{eid}-聊天记录.txt" in _sums(dossier).splitlines()
    # The read path hands out the stored chunks one by one, never the file joined.
    with sessions() as s:
        user = s.execute(select(User).where(User.username == "merchant")).scalar_one()
        caller = Principal(user.id, user.username, user.display_name, Role(user.role), None)
        f = evidence_file(s, runtime.appeals, caller, aid, eid)
    assert [len(piece) for piece in f.chunks] == [1_048_576, 1_048_576, len(chat) - 2_097_152]


def test_the_directory_store_reads_a_file_in_pieces(tmp_path: Path) -> None:
    local = LocalDirectoryStorage(tmp_path / "evidence")
    data = bytes(range(256)) * 5000  # 1,280,000 bytes
    stored = local.put(data)
    pieces = list(local.chunks(stored.sha256))
    assert [len(p) for p in pieces] == [1_048_576, 231_424]
    assert b"".join(pieces) == data
    with pytest.raises(FileNotFoundError):
        next(local.chunks("e" * 64))
