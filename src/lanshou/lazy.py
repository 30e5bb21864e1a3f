"""Names of a package imported on first use (PEP 562), so a command pays only for what it runs.

`lanshou check` reads files only: importing ``lanshou.imports``, ``lanshou.orders`` or
``lanshou.batch`` must not bring in SQLAlchemy, the models or DuckDB until a name that needs
them is used. A package keeps its ``__all__`` and its ``TYPE_CHECKING`` imports (for readers
and mypy) and maps each lazily bound name to the submodule that defines it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports_on_first_use(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: ``name`` from ``package.<module_of[name]>``, bound
    in the package once loaded, so it is an attribute like any other afterwards."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__


__all__ = ["exports_on_first_use"]
