"""Translations: Dutch by default, English alongside; Arabic (right-to-left) comes later.

Message ids are English. Each feature keeps its own catalogue per language in
``frontend/locales/<lang>/<feature>.po``; they are merged at start-up, so no compile step is
needed and features do not edit one shared file.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from eportfolio.config import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "frontend" / "locales"
DEFAULT_LANGUAGE = "nl"
UI_LANGUAGES = ("nl", "en")
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "ar": "العربية", "pap": "Papiamentu", "tr": "Türkçe"}


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def _merged_catalog(language: str, directory: Path) -> Catalog:
    merged = Catalog(locale=language)
    for po_file in sorted((directory / language).glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    return merged


@lru_cache(maxsize=8)
def translations(language: str) -> Translations:
    """The merged catalogue for one language; English falls through to the message ids."""
    buffer = io.BytesIO()
    write_mo(buffer, _merged_catalog(language, LOCALES_DIR))
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text


def ngettext(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate in UI_LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
