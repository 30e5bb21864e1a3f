"""Find and validate profiles: built-ins shipped in `lanshou/rules/`, plus operator directories.

Operator directories add profiles or override built-ins by file name (`douyin.yaml`); later
directories win. Every failure is a `ProfileError` naming the file, the key path and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lanshou.domain.rules.errors import ProfileError
from lanshou.domain.rules.profile import Profile

__all__ = ["format_loc", "known_profiles", "load_profile", "parse_profile"]

_BUILTIN_PACKAGE = "lanshou.rules"


def format_loc(loc: Iterable[int | str]) -> str:
    """('rules', 1, 'duration', 'hours') -> 'rules[1].duration.hours'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def _sources(extra_dirs: Iterable[str | Path]) -> dict[str, tuple[str, str]]:
    """name -> (display path, text) for every visible profile; operator dirs override."""
    found: dict[str, tuple[str, str]] = {}
    for entry in resources.files(_BUILTIN_PACKAGE).iterdir():
        if entry.name.endswith(".yaml"):
            found[entry.name[: -len(".yaml")]] = (str(entry), entry.read_text(encoding="utf-8"))
    for directory in extra_dirs:
        for path in sorted(Path(directory).glob("*.yaml")):
            found[path.stem] = (str(path), path.read_text(encoding="utf-8"))
    return found


def known_profiles(extra_dirs: Iterable[str | Path] = ()) -> list[str]:
    """Sorted names of all loadable profiles (built-in and operator)."""
    return sorted(_sources(extra_dirs))


def parse_profile(text: str, file: str, expected_name: str | None = None) -> Profile:
    """Validate one profile document; errors name `file`, the key path and the reason."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<root>"
        raise ProfileError(f"{file}: {where}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{file}: <root>: expected a mapping, got {type(data).__name__}")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        lines = [f"{file}: {format_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ProfileError("\n".join(lines)) from exc
    if expected_name is not None and profile.name != expected_name:
        raise ProfileError(
            f"{file}: name: profile name {profile.name!r} differs from file name {expected_name!r}"
        )
    return profile


def load_profile(name: str, extra_dirs: Iterable[str | Path] = ()) -> Profile:
    """Load and validate the profile called `name`."""
    sources = _sources(extra_dirs)
    if name not in sources:
        raise ProfileError(
            f"unknown profile {name!r}; known profiles: {', '.join(sorted(sources))}"
        )
    file, text = sources[name]
    return parse_profile(text, file, expected_name=name)
