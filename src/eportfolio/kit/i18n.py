"""Translations: Dutch by default, English alongside; Arabic (right-to-left) comes later.

Message ids are English. Each feature's messages are a Babel domain with a catalogue per language
in ``frontend/locales/<lang>/<feature>.po`` (``make messages`` extracts and updates them, see
``babel.cfg`` and docs/translations.md). A process compiles a language's catalogues with Babel
(``write_mo``) in memory the first time it needs that language and merges the domains: the
``.po`` files are the only copy, so no compiled file can be stale or missing, and ``make run``,
CI and the tests need no compile step. It costs about 0.1 s per language, once per process.

Only languages whose catalogues are complete are offered for the interface (``ui_languages``):
a half-translated language would show most pages in Dutch. Content (modules, a person's own
language) may be in any language of ``LANGUAGE_CODES``; its names are shown in her interface
language (``language_name``).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_python as babel_extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from eportfolio.config import PROJECT_ROOT
from eportfolio.kit.errors import N_

LOCALES_DIR = PROJECT_ROOT / "frontend" / "locales"
DEFAULT_LANGUAGE = "nl"
SOURCE_LANGUAGE = "en"  # message ids are English: complete without a catalogue of its own
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
# Each language's name in itself, where the locale data has none.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "ar": "العربية", "pap": "Papiamentu", "tr": "Türkçe"}
# translate(request, ...), gettext(language, ...), ngettext(language, ...): the message comes second.
REQUEST_FIRST = frozenset({"translate", "gettext", "ngettext"})
# Group and module language levels as people read them (CEFR letters stay as they are).
LEVEL_LABELS = {"A0": N_("A0 (starting)"), "mixed": N_("Mixed levels")}


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def _messages(language: str, directory: Path) -> list[Message]:
    """Every message of the language's catalogues, translated or not."""
    found: list[Message] = []
    for po_file in sorted((directory / language).glob("*.po")):
        with po_file.open("rb") as handle:
            found.extend(message for message in read_po(handle, locale=language) if message.id)
    return found


def _translated(message: Message) -> bool:
    """Translated and not fuzzy; a plural message needs every form."""
    if message.fuzzy:
        return False
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def _compiled(catalogue: Catalog) -> Translations:
    """A catalogue compiled as ``pybabel compile`` does, in memory. Fuzzy, empty and partly
    translated messages are left out, so they show the English id rather than an empty form."""
    for message in list(catalogue):
        if message.id and not _translated(message):
            catalogue.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=catalogue.domain)


def _read(po_file: Path, language: str) -> Catalog:
    with po_file.open("rb") as handle:
        return read_po(handle, locale=language, domain=po_file.stem)


def complete_languages(directory: Path) -> tuple[str, ...]:
    """The languages of ``directory`` in which every message of every catalogue is translated.

    A message any language's catalogue holds counts for all (a feature's file missing in one
    language leaves that language incomplete). English, the language of the message ids, and
    Dutch, the default, are always offered; Dutch first, then English, then the others."""
    folders = sorted(path.name for path in directory.iterdir() if path.is_dir()) if directory.is_dir() else []
    wanted: set[tuple[object, str | None]] = set()
    translated: dict[str, set[tuple[object, str | None]]] = {}
    for language in folders:
        messages = _messages(language, directory)
        wanted |= {(message.id, message.context) for message in messages}
        translated[language] = {(message.id, message.context) for message in messages if _translated(message)}
    complete = [language for language in folders if language != SOURCE_LANGUAGE and wanted <= translated[language]]
    first = [DEFAULT_LANGUAGE, SOURCE_LANGUAGE]
    return (*first, *sorted(set(complete) - set(first)))


@lru_cache(maxsize=1)
def ui_languages() -> tuple[str, ...]:
    """The interface languages offered: worked out once, from the catalogues, at first use."""
    return complete_languages(LOCALES_DIR)


@lru_cache(maxsize=4096)
def language_name(code: str, in_language: str) -> str:
    """The name of a language in the interface language: "Duits" on a Dutch page, "German" on
    an English one (from the locale data; the language's own name, or its code, where it has none)."""
    try:
        name = Locale.parse(in_language).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or own_language_name(code)


@lru_cache(maxsize=512)
def own_language_name(code: str) -> str:
    """A language's name in itself, as a language switch shows it ("Türkçe", "العربية")."""
    try:
        name = Locale.parse(code).get_display_name(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return LANGUAGE_NAMES.get(code) or (name[:1].upper() + name[1:] if name else code)


def level_label(level: str, in_language: str) -> str:
    """A language level as people read it: "B1", or "Mixed levels" translated, not "mixed"."""
    label = LEVEL_LABELS.get(level)
    return gettext(in_language, label) if label else level


@lru_cache(maxsize=8)
def translations(language: str) -> Translations:
    """Every domain of one language merged into one; English falls through to the message ids."""
    merged = _compiled(Catalog(locale=language))  # the language's plural rule, from the locale data
    for po_file in sorted((LOCALES_DIR / language).glob("*.po")):
        merged.merge(_compiled(_read(po_file, language)))
    return merged


def gettext(language: str, message: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text


def ngettext(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def plural_forms(language: str, singular: str, plural: str) -> dict[str, str]:
    """A count's text for a script, per plural category of the language ("one", "other", and in
    some languages "few", "many"...), with ``%(num)s`` left for the script to fill in.

    The script picks the category with ``Intl.PluralRules`` (the same CLDR rules babel has)."""
    rule = Locale.parse(language).plural_form
    catalogue = translations(language)
    forms: dict[str, str] = {}
    for n in range(200):  # every category has a small number in it
        forms.setdefault(rule(n), catalogue.ngettext(singular, plural, n))
    return forms


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate in ui_languages():
            return candidate
    return DEFAULT_LANGUAGE


def extract_python(fileobj: IO[bytes], keywords: Any, comment_tags: Collection[str], options: Any) -> Iterator[Any]:
    """Babel's Python extractor, taught that our helpers take the request or language first
    (babel.cfg names it). ``translate(request, "Saved")`` reaches us as ``(None, "Saved")``;
    dropping the leading non-string lets the ordinary keyword specs apply, and
    ``translate(request, label)`` with a variable stays unextracted (the label itself is marked
    with ``N_`` where it is defined)."""
    for lineno, funcname, messages, comments in babel_extract_python(fileobj, keywords, comment_tags, options):
        if funcname in REQUEST_FIRST and isinstance(messages, tuple) and len(messages) > 1 and messages[0] is None:
            messages = messages[1:]
        yield lineno, funcname, messages, comments
