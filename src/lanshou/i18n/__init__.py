"""Translations: gettext catalogues (``.po``) compiled in memory at start-up, no build step.

Message ids are English; ``zh_CN`` is the default locale. Templates use Jinja2's i18n extension,
Python code marks strings with :func:`N_` and translates them late with :func:`translate`, which
the CLI uses as well.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "catalogue_path",
    "catalogue_paths",
    "normalize_locale",
    "read_catalogue",
    "translate",
    "translations",
]

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_DIR = Path(__file__).parent


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it now."""
    return msgid


def catalogue_path(locale: str) -> Path:
    return _DIR / locale / "LC_MESSAGES" / "messages.po"


def catalogue_paths(locale: str) -> list[Path]:
    """Every ``.po`` of a locale: ``messages.po`` plus one file per feature area, so teams
    working on different parts of the product never edit the same catalogue file."""
    return sorted((_DIR / locale / "LC_MESSAGES").glob("*.po"))


def read_catalogue(locale: str) -> Catalog:
    """All of a locale's ``.po`` files merged into one catalogue."""
    merged = Catalog(locale=locale, domain="messages")
    for path in catalogue_paths(locale):
        with path.open("rb") as po:
            for message in read_po(po, locale=locale):
                if message.id:
                    merged[message.id] = message
    return merged


def normalize_locale(value: str | None) -> str | None:
    """'zh-CN', 'zh_cn', 'zh' → 'zh_CN'; 'en-US' → 'en'; anything else → None."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue for a locale (read once per process)."""
    locale = normalize_locale(locale) or DEFAULT_LOCALE
    catalog = read_catalogue(locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def translate(locale: str | None, msgid: str, **params: object) -> str:
    """``msgid`` in ``locale`` (default zh_CN), with ``%(name)s`` parameters filled in."""
    text = translations(locale or DEFAULT_LOCALE).gettext(msgid)
    return text % params if params else text
