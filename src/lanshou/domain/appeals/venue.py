"""Where an appeal is decided — a property of each appeal, set from the deployment's mode.

The deployment's *mode* says who runs lanshou (``platform``: the operator enforcing the rules;
``seller``: a merchant selling on a platform). An appeal's *venue* says who decides it. Each
appeal keeps its own, so cases filed before a deployment changed mode are still handled where
they were filed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Mode = Literal["platform", "seller"]


class Venue(StrEnum):
    INTERNAL = "internal"  # platform mode: our reviewers decide
    EXTERNAL = "external"  # seller mode: the platform decides, the merchant records it

    @classmethod
    def for_mode(cls, mode: Mode) -> Venue:
        return cls.EXTERNAL if mode == "seller" else cls.INTERNAL
