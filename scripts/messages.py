"""Message catalogues with Babel: each feature is a domain, with a .po file per language.

    python scripts/messages.py extract   update frontend/locales/<lang>/<domain>.po from the code
    python scripts/messages.py check     list what still needs Dutch (exits 1 if anything does)

Babel does the work: ``babel.cfg`` says which files hold messages and how to read them (Python,
Jinja2 templates), Babel's extraction finds the messages, ``Catalog.update`` brings each catalogue
in step (translations kept, gone messages kept as obsolete ``#~``, a reworded message gets the old
translation marked fuzzy) and the app compiles the catalogues at start-up (kit/i18n.py).

What is ours is which domain a message belongs to: the feature whose code uses it, that is the
package under ``src/eportfolio/`` or the folder under ``frontend/templates/``. Shared plumbing
(kit, domain, crypto, modules at the top of the package, base.html, partials/, errors/) and any
message used by more than one feature belong to ``core``, so a translator meets each message once.
When a message moves between domains it takes its translation along. Every language folder under
``frontend/locales/`` is kept up to date, so adding a language is ``mkdir
frontend/locales/<code>`` followed by ``extract``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from babel.util import pathmatch

ROOT = Path(__file__).resolve().parent.parent
MAPPING_FILE = Path("babel.cfg")
SOURCE_DIR = Path("src/eportfolio")
TEMPLATES_DIR = Path("frontend/templates")
LOCALES_DIR = Path("frontend/locales")

SOURCE_LANGUAGE = "en"  # message ids are English; its catalogue may stay empty
REQUIRED_LANGUAGE = "nl"  # the default interface language: every message needs Dutch
LANGUAGES = (REQUIRED_LANGUAGE, SOURCE_LANGUAGE)  # always kept, even before the folder exists

CORE = "core"
CORE_PACKAGES = frozenset({"kit", "domain", "crypto"})
CORE_TEMPLATE_FOLDERS = frozenset({"partials", "errors"})

# As `pybabel extract -k`. translate(request, ...) and i18n's gettext/ngettext(language, ...) take
# the request or language first; the extractor named in babel.cfg drops it, so these specs count
# from the message. plural_forms(singular, plural) gives a script a count's forms (kit/web.py).
KEYWORDS = parse_keywords(["_", "N_", "gettext", "ngettext:1,2", "translate", "plural_forms:1,2"])
COMMENT_TAGS = ("Translators:",)

PLACEHOLDER = re.compile(r"%\((\w+)\)")
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: text a person reads
ABBREVIATION = re.compile(r"[A-Z]{2,5}")  # UTC, MB, PDF read the same in every language
READABLE_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "aria-description"})
WIDTH = 100

Key = tuple[str, str | None]  # (singular message id, context)


# Extraction ----------------------------------------------------------------------------------


@dataclass
class Found:
    """One message as the code uses it, with every place it is used."""

    id: str | tuple[str, ...]
    context: str | None
    locations: list[tuple[str, int]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)

    @property
    def feature(self) -> str:
        return next(iter(self.features)) if len(self.features) == 1 else CORE


def feature_of(relative: Path) -> str:
    """Which domain a source file's messages go to (``relative`` is from the project root)."""
    if relative.is_relative_to(SOURCE_DIR):
        parts = relative.relative_to(SOURCE_DIR).parts
        return CORE if len(parts) == 1 or parts[0] in CORE_PACKAGES else parts[0]
    parts = relative.relative_to(TEMPLATES_DIR).parts
    return CORE if len(parts) == 1 or parts[0] in CORE_TEMPLATE_FOLDERS else parts[0]


def mapping(root: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """babel.cfg: (pattern, method) pairs and each pattern's options."""
    with (root / MAPPING_FILE).open(encoding="utf-8") as handle:
        return parse_mapping_cfg(handle, filename=str(root / MAPPING_FILE))


def extract_messages(root: Path) -> dict[Key, Found]:
    """Every translatable message in the files babel.cfg names, found by Babel's extractors."""
    method_map, options_map = mapping(root)
    found: dict[Key, Found] = {}
    results = extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in results:
        relative = Path(filename)
        singular = message[0] if isinstance(message, tuple) else message
        entry = found.setdefault((singular, context), Found(message, context))
        if isinstance(message, tuple) and not isinstance(entry.id, tuple):
            entry.id = message  # used once with a plural: keep the plural form
        entry.locations.append((relative.as_posix(), lineno))
        entry.comments.extend(c for c in comments if c not in entry.comments)
        entry.features.add(feature_of(relative))
    return found


def template_files(root: Path) -> Iterator[Path]:
    """The templates babel.cfg reads with the Jinja2 extractor, in a stable order."""
    method_map, _ = mapping(root)
    patterns = [pattern for pattern, method in method_map if method == "jinja2"]
    for path in sorted((root / TEMPLATES_DIR).rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and any(pathmatch(pattern, relative) for pattern in patterns):
            yield path


def _code_order(location: tuple[str, int]) -> tuple[bool, str, int]:
    """Where a message is first used: in the Python code if it is, else in a template."""
    path, line = location
    return not path.startswith(SOURCE_DIR.as_posix()), path, line


def templates_by_domain(found: Mapping[Key, Found]) -> dict[str, Catalog]:
    """A template (what ``pybabel extract`` writes to a .pot) per domain, messages in the order of
    the file and line where each is first used."""
    templates: dict[str, Catalog] = {}
    for _key, entry in sorted(found.items(), key=lambda item: min(item[1].locations, key=_code_order)):
        template = templates.setdefault(entry.feature, Catalog(domain=entry.feature, fuzzy=False))
        template.add(
            entry.id, locations=list(entry.locations), auto_comments=list(entry.comments), context=entry.context
        )
    return templates


# Catalogues on disk --------------------------------------------------------------------------


def languages(root: Path) -> list[str]:
    present = {p.name for p in (root / LOCALES_DIR).iterdir() if p.is_dir()} if (
        root / LOCALES_DIR
    ).is_dir() else set()
    return sorted(present | set(LANGUAGES))


def read_catalogue(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=path.stem, abort_invalid=True)


def read_language(root: Path, language: str) -> dict[str, Catalog]:
    """The catalogues of one language, by domain."""
    directory = root / LOCALES_DIR / language
    if not directory.is_dir():
        return {}
    return {path.stem: read_catalogue(path, language) for path in sorted(directory.glob("*.po"))}


def key_of(message: Message) -> Key:
    singular = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return str(singular), message.context


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(strings) and not message.fuzzy


def render_catalogue(catalogue: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=WIDTH, include_lineno=False)
    return buffer.getvalue()


# extract -------------------------------------------------------------------------------------


@dataclass
class Change:
    path: Path
    added: int = 0
    obsolete: int = 0
    untranslated: int = 0
    written: bool = False


def _header(language: str, feature: str) -> str:
    if language == SOURCE_LANGUAGE:
        note = "Message ids are English: leave msgstr empty unless the English should differ."
    else:
        note = "Plain language (B1); see docs/translations.md."
    return f"# {language} messages of eportfolio: {feature}.\n# {note}"


def _new_catalogue(language: str, feature: str, now: datetime) -> Catalog:
    """What ``pybabel init`` makes, with our header."""
    return Catalog(
        locale=language, domain=feature, project="eportfolio", version="1", msgid_bugs_address="",
        header_comment=_header(language, feature), creation_date=now, revision_date=now,
        last_translator="", language_team="", fuzzy=False,
    )


def _shaped(string: Any, message: Message, catalogue: Catalog) -> str | tuple[str, ...]:
    """A translation taken from elsewhere, in the shape (singular or plural) of ``message``."""
    given = tuple(str(s or "") for s in string) if isinstance(string, tuple | list) else (str(string or ""),)
    if not message.pluralizable:
        return given[0]
    return (given + ("",) * catalogue.num_plurals)[: catalogue.num_plurals]


def update_language(
    root: Path,
    language: str,
    found: Mapping[Key, Found],
    *,
    drop_obsolete: bool = False,
    now: datetime | None = None,
) -> list[Change]:
    """Bring one language's catalogues in step with ``found`` with Babel's ``Catalog.update``.

    Babel keeps each translation, keeps a gone message as obsolete (``#~``) so that its
    translation comes back if the message does, and gives a new message that closely resembles a
    gone one that translation, marked fuzzy, for a person to review. Across domains we add one
    thing: a message that moved to another domain (say it is now shared, so it is in core) takes
    its translation along and is not left behind as obsolete.
    """
    now = now or datetime.now(UTC)
    directory = root / LOCALES_DIR / language
    existing = read_language(root, language)
    templates = templates_by_domain(found)

    # Every translation the language has, from any domain, obsolete ones included.
    known: dict[Key, Message] = {}
    for catalogue in existing.values():
        for message in [m for m in catalogue if m.id] + list(catalogue.obsolete.values()):
            if is_translated(message) or key_of(message) not in known:
                known[key_of(message)] = message

    changes = []
    for feature in sorted(set(templates) | set(existing)):
        path = directory / f"{feature}.po"
        before = existing.get(feature)
        catalogue = before if before is not None else _new_catalogue(language, feature, now)
        template = templates.get(feature, Catalog(domain=feature))
        had = {key_of(m) for m in catalogue if m.id}
        catalogue.update(
            template, no_fuzzy_matching=language == SOURCE_LANGUAGE, update_creation_date=False
        )
        change = Change(path)
        for message in catalogue:
            if not message.id:
                continue
            key = key_of(message)
            old = known.get(key)
            if key not in had:
                change.added += old is None
                if old is not None and not message.fuzzy and not is_translated(message):
                    message.string = _shaped(old.string, message, catalogue)
                    message.flags.update({"fuzzy"} & old.flags)
                    message.user_comments = list(old.user_comments)
            if language != SOURCE_LANGUAGE and not is_translated(message):
                change.untranslated += 1
        for message_id in list(catalogue.obsolete):
            if drop_obsolete or key_of(catalogue.obsolete[message_id]) in found:
                del catalogue.obsolete[message_id]  # gone for good, or it lives in another domain now
            else:
                catalogue.obsolete[message_id].locations = []
        change.obsolete = len(catalogue.obsolete)
        if not len(catalogue) and not catalogue.obsolete:
            if path.exists():
                path.unlink()
                change.written = True
            changes.append(change)
            continue
        old_bytes = path.read_bytes() if path.exists() else b""
        if render_catalogue(catalogue) != old_bytes:
            catalogue.revision_date = now
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_catalogue(catalogue))
            change.written = True
        changes.append(change)
    return changes


def extract_all(root: Path, *, drop_obsolete: bool = False) -> list[Change]:
    found = extract_messages(root)
    changes: list[Change] = []
    for language in languages(root):
        changes.extend(update_language(root, language, found, drop_obsolete=drop_obsolete))
    return changes


# check ---------------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def _formats(text: str, names: Iterable[str]) -> bool:
    """Whether ``text % params`` works, as kit.i18n does it when a message has parameters."""
    try:
        text % dict.fromkeys(names, 1)
    except (KeyError, ValueError, TypeError):
        return False
    return True


def _listed(names: Iterable[str]) -> str:
    return ", ".join(f"%({name})s" for name in sorted(names))


def placeholder_problems(message: Message) -> list[str]:
    """Placeholders in the translation that do not match the message id, in plain words."""
    if isinstance(message.id, tuple | list):
        wanted = placeholders(message.id[0]) | placeholders(message.id[1])
        strings = list(message.string) if isinstance(message.string, tuple | list) else []
        optional = {"num"}  # a singular form may say "one" instead of the number
    else:
        wanted = placeholders(message.id)
        strings = [str(message.string or "")]
        optional = set()
    problems = []
    for string in strings:
        if not string:
            continue
        have = placeholders(string)
        missing = wanted - have - (optional if len(strings) > 1 and string == strings[0] else set())
        extra = have - wanted
        if missing:
            problems.append(f"translation lacks {_listed(missing)}")
        if extra:
            problems.append(f"translation has unknown {_listed(extra)}")
        if wanted and not missing and not extra and not _formats(string, wanted):
            problems.append("translation has a stray % (write %% for a percent sign)")
    return problems


def _readable(text: str) -> bool:
    return any(not ABBREVIATION.fullmatch(word) for word in WORD.findall(text))


class _LiteralText(HTMLParser):
    """Finds words written straight into a template, in its text or its readable attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._in_code += 1
        for name, value in attrs:
            if name in READABLE_ATTRIBUTES and value and _readable(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in_code = max(0, self._in_code - 1)

    def handle_data(self, data: str) -> None:
        if not self._in_code and _readable(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def literal_template_text(root: Path) -> list[str]:
    """Words in templates that do not go through ``_()``, so they would never be translated."""
    problems: list[str] = []
    for path in template_files(root):
        # Jinja tags become nothing (keeping their line breaks, so line numbers stay right).
        source = JINJA_TAG.sub(
            lambda tag: "\n" * tag.group(0).count("\n"), path.read_text(encoding="utf-8")
        )
        parser = _LiteralText()
        parser.feed(source)
        parser.close()
        relative = path.relative_to(root).as_posix()
        problems.extend(
            f"{relative}:{line}: {text!r} is not passed through _()" for line, text in parser.found
        )
    return problems


@dataclass
class Review:
    """What ``check`` found: problems fail the check; tidy-ups only ask for another extract.

    A message in the wrong catalogue, or in two, still shows its Dutch (all catalogues of a
    language are merged), and it happens whenever features commit their catalogues one at a
    time; so it is reported, not failed.
    """

    problems: list[str] = field(default_factory=list)
    tidy_ups: list[str] = field(default_factory=list)


def review(root: Path) -> Review:
    """Compare the catalogues with the code, one line per finding."""
    found = extract_messages(root)
    result = Review(problems=literal_template_text(root))
    problems, tidy_ups = result.problems, result.tidy_ups
    for language in languages(root):
        homes: dict[Key, list[str]] = {}
        for feature, catalogue in read_language(root, language).items():
            where = (LOCALES_DIR / language / f"{feature}.po").as_posix()
            for message in catalogue:
                if not message.id:
                    continue
                key = key_of(message)
                homes.setdefault(key, []).append(feature)
                label = f"{where}: {key[0]!r}"
                problems.extend(f"{label}: {p}" for p in placeholder_problems(message))
                if language != REQUIRED_LANGUAGE or key not in found:
                    continue
                if message.fuzzy:
                    problems.append(f"{label}: the Dutch is marked fuzzy; review it")
                elif not is_translated(message):
                    problems.append(f"{label}: no Dutch translation")
        directory = (LOCALES_DIR / language).as_posix()
        for key, features in homes.items():
            if len(features) > 1:
                listed = ", ".join(f"{feature}.po" for feature in features)
                tidy_ups.append(f"{directory}: {key[0]!r} is in {listed}")
        if language == SOURCE_LANGUAGE:
            # The id is the English, so the page is right; the catalogue is where a translator
            # sees the full list and may change an English wording, so it should have them all.
            tidy_ups.extend(
                f"{directory}: {key[0]!r} is not in any English catalogue" for key in found if key not in homes
            )
        if language != REQUIRED_LANGUAGE:
            continue
        for key, entry in found.items():
            place = entry.locations[0]
            if key not in homes:
                problems.append(
                    f"{place[0]}:{place[1]}: {key[0]!r} is not in any Dutch catalogue (run extract)"
                )
            elif entry.feature not in homes[key]:
                tidy_ups.append(f"{directory}: {key[0]!r} belongs in {entry.feature}.po")
    return result


def check(root: Path) -> list[str]:
    """Everything that keeps a message from showing in Dutch, one line per problem."""
    return review(root).problems


# Command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    extract_command = commands.add_parser("extract", help="update every catalogue from the code")
    extract_command.add_argument(
        "--drop-obsolete", action="store_true", help="remove messages the code no longer uses"
    )
    commands.add_parser(
        "check", help="list text without Dutch, placeholder mismatches and untranslated template text"
    )
    args = parser.parse_args(argv)

    if args.command == "extract":
        for change in extract_all(args.root, drop_obsolete=args.drop_obsolete):
            if change.written or change.untranslated:
                status = "updated" if change.written else "unchanged"
                sys.stdout.write(
                    f"{change.path.relative_to(args.root)}: {status}, {change.added} new, "
                    f"{change.obsolete} obsolete, {change.untranslated} untranslated\n"
                )
        return 0

    found = review(args.root)
    for tidy_up in found.tidy_ups:
        sys.stdout.write(f"tidy up: {tidy_up}\n")
    if found.tidy_ups:
        sys.stdout.write("Run `make messages` to put these in their catalogue.\n")
    for problem in found.problems:
        sys.stdout.write(problem + "\n")
    if found.problems:
        sys.stdout.write(f"{len(found.problems)} problem(s); see docs/translations.md\n")
        return 1
    sys.stdout.write("All messages have Dutch and their placeholders match.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
