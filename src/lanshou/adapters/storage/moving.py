"""Move evidence files from a local directory store into the database store.

Each file is checked against the SHA-256 its name promises before it goes in: a file whose
bytes changed on disk is reported (path and both digests) and left where it is, and every good
file in the same run is still moved. A file already in the database counts as moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanshou.adapters.storage.base import check_key, sha256_of
from lanshou.adapters.storage.database import DatabaseStorage

# Problems as message ids with parameters: the command translates them (lanshou.i18n sits
# above the adapters). The msgids are in the catalogue's storage.po.
NOT_A_DIGEST = "%(path)s: the name is not a SHA-256 digest; left alone"
CONTENT_DIFFERS = "%(path)s: content hashes to %(actual)s, not its name; left alone"


@dataclass(frozen=True)
class Problem:
    msgid: str
    params: dict[str, Any]


@dataclass
class MoveReport:
    moved: int = 0
    already: int = 0
    bytes_moved: int = 0
    problems: list[Problem] = field(default_factory=list)


def _blob_files(root: Path) -> list[Path]:
    """Files at ``root/ab/cd/<sha256>`` (temp files of interrupted uploads start with a dot)."""
    return sorted(p for p in root.glob("??/??/*") if p.is_file() and not p.name.startswith("."))


def move_files_into_database(root: Path, db: DatabaseStorage, *, delete: bool) -> MoveReport:
    """Copy every blob under ``root`` into ``db`` (one transaction per file, so an interrupted
    run resumes where it stopped); with ``delete``, remove each file once it is committed."""
    report = MoveReport()
    for path in _blob_files(root):
        try:
            key = check_key(path.name)
        except ValueError:
            report.problems.append(Problem(NOT_A_DIGEST, {"path": str(path)}))
            continue
        data = path.read_bytes()
        actual = sha256_of(data)
        if actual != key:
            report.problems.append(Problem(CONTENT_DIFFERS, {"path": str(path), "actual": actual}))
            continue
        stored = db.put_verified(key, data)
        if stored.created:
            report.moved += 1
            report.bytes_moved += stored.size
        else:
            report.already += 1
        if delete:
            path.unlink()
    return report
