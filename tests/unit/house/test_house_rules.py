"""House rules of the source tree that neither ruff nor import-linter can state.

Each rule reads the source as text or syntax, so a break names the file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "lanshou"
MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)

# The event path: what runs for every tracking event and every due deadline.
EVENT_PATH = ("enforcement", "domain/rules")
MAX_EVENT_PATH_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_tree_is_found() -> None:
    assert len(MODULES) > 150
    assert (SRC / "enforcement" / "evaluation.py") in MODULES


def test_no_private_name_is_imported_from_another_module() -> None:
    """A leading underscore means "this module's business": share it under a public name, in a
    module both sides may import."""
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lanshou"):
                if node.module == _module_name(path):
                    continue
                private = [a.name for a in node.names if re.match(r"_(?!_)", a.name)]
                if private:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.module} {private}")
    assert found == []


def test_only_adapters_ask_which_database_they_are_on() -> None:
    """Dialect differences are named operations of ``lanshou.adapters.db.dialect``."""
    asks = re.compile(r"dialect\.name|get_backend_name\(|dialect ==")
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in MODULES
        if "adapters" not in path.relative_to(SRC).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if asks.search(line)
    ]
    assert found == []


def test_no_function_on_the_event_path_is_longer_than_60_lines() -> None:
    long = []
    for path in MODULES:
        if not str(path.relative_to(SRC)).startswith(EVENT_PATH):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_EVENT_PATH_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} {lines}")
    assert long == []


# Business areas: packages whose modules other areas reach only through the package's
# ``__init__`` (what it lists in ``__all__``). ``domain`` (pure vocabulary) and ``adapters``
# (infrastructure) are libraries of modules and are imported module by module.
AREAS = (
    "alerts",
    "analytics",
    "appeals",
    "audit",
    "batch",
    "demo",
    "enforcement",
    "feeds",
    "identity",
    "imports",
    "orders",
    "platforms",
    "retention",
)


def _public_names(area: str) -> set[str]:
    tree = ast.parse((SRC / area / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__":
            return set(ast.literal_eval(node.value))
    return set()


def test_areas_talk_through_their_public_init() -> None:
    """Another area (or an entry point) imports ``from lanshou.<area> import name`` and only
    names that area's ``__init__`` exports; a submodule path is the area's own business."""
    public = {area: _public_names(area) for area in AREAS}
    found = []
    for path in MODULES:
        parts = path.relative_to(SRC).parts
        own = parts[0] if len(parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level:
                continue
            target = (node.module or "").split(".")
            if target[0] != "lanshou" or len(target) < 2 or target[1] not in AREAS:
                continue
            if target[1] == own:
                continue
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            if len(target) > 2:
                found.append(f"{where} reaches into {node.module}")
                continue
            hidden = [a.name for a in node.names if a.name not in public[target[1]]]
            if hidden:
                found.append(f"{where} imports {hidden}, not exported by lanshou.{target[1]}")
    assert found == []


def test_every_area_exports_what_it_lists() -> None:
    """``__all__`` names only what the ``__init__`` really binds."""
    import importlib

    for area in AREAS:
        module = importlib.import_module(f"lanshou.{area}")
        assert [n for n in sorted(_public_names(area)) if not hasattr(module, n)] == [], area


# Who may read the wall clock: the clock itself, the entry points (a request's, a command's or
# the worker's now), and the notification channels' default signing time (adapters sit below
# ``lanshou.clock``; a channel takes its ``now`` as a parameter, ``utc_now`` is its default).
CLOCK_READERS = ("clock.py", "entrypoints", "adapters/notify/base.py")
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}
WALL_CLOCK |= {("date", "today"), ("time", "time")}


def _wall_clock_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """``datetime.now()``, ``dt.datetime.utcnow()``, ``date.today()``, ``time.time()``, …"""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else None
            )
            if (name, node.func.attr) in WALL_CLOCK:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return sorted(found)


def test_the_wall_clock_check_finds_what_it_is_meant_to() -> None:
    source = (
        "import datetime as dt\nfrom datetime import date, datetime\nimport time\n"
        "a = datetime.now().astimezone()\nb = dt.datetime.utcnow()\nc = date.today()\n"
        "d = time.time()\ne = dt.datetime.now(dt.UTC)\nf = clock.now()\ng = self.now()\n"
    )
    assert _wall_clock_calls(ast.parse(source)) == [
        (4, "datetime.now()"),
        (5, "datetime.utcnow()"),
        (6, "date.today()"),
        (7, "time.time()"),
        (8, "datetime.now()"),
    ]


def test_time_is_a_parameter_outside_the_entry_points_and_the_clock() -> None:
    """Services take ``now``; only the clock and the entry points read the wall clock, so every
    figure and every stored "as of" comes from the caller's ``now`` (issue #16)."""
    found = [
        f"{path.relative_to(SRC)}:{line} {call}"
        for path in MODULES
        if not any(
            path.relative_to(SRC).as_posix() == allowed or path.relative_to(SRC).parts[0] == allowed
            for allowed in CLOCK_READERS
        )
        for line, call in _wall_clock_calls(ast.parse(path.read_text()))
    ]
    assert found == []
