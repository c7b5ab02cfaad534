"""Every visible string has Dutch, the catalogues follow the code, and pages speak her language."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from eportfolio.kit import i18n
from tests.support.client import Browser
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[2]


def _load_messages_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "scripts" / "messages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


messages = _load_messages_tool()


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def catalogue(root: Path, language: str, feature: str) -> Catalog:
    with (root / "frontend" / "locales" / language / f"{feature}.po").open("rb") as handle:
        return read_po(handle, locale=language)


def entry(root: Path, language: str, feature: str, message_id: str) -> Message:
    found = catalogue(root, language, feature).get(message_id)
    assert found is not None, f"{message_id!r} is not in {language}/{feature}.po"
    return found


def translate_in_file(root: Path, language: str, feature: str, translations: dict[str, str]) -> None:
    """Fill in translations the way a translator would, in the .po file itself."""
    current = catalogue(root, language, feature)
    for message in current:
        if message.id in translations:
            message.string = translations[message.id]
    path = root / "frontend" / "locales" / language / f"{feature}.po"
    path.write_bytes(messages.render_catalogue(current))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project: shared plumbing, two features, each with code and a template."""
    shutil.copyfile(ROOT / "babel.cfg", tmp_path / "babel.cfg")  # where the messages are, as in the real one
    write(tmp_path, "src/eportfolio/kit/errors.py", 'GONE = N_("This is no longer valid.")\n')
    write(
        tmp_path,
        "src/eportfolio/chat/service.py",
        "def greet(request, name):\n"
        '    return translate(request, "Hello %(name)s", name=name)\n'
        "LABEL = N_(\"Save\")\n",
    )
    write(
        tmp_path,
        "frontend/templates/chat/room.html",
        '<h1>{{ _("Conversation") }}</h1>\n'
        '<p>{{ ngettext("%(num)s new message", "%(num)s new messages", count) }}</p>\n',
    )
    write(tmp_path, "frontend/templates/modules/lesson.html", '<h1>{{ _("Lesson") }}</h1>\n')
    write(tmp_path, "frontend/templates/base.html", '<a href="/">{{ _("Home") }}</a>\n')
    return tmp_path


# The real catalogues ---------------------------------------------------------------------------


def test_every_message_in_the_code_has_dutch_with_matching_placeholders() -> None:
    problems = messages.check(ROOT)
    assert not problems, "\n".join(
        ["Run `make messages`, fill in the Dutch, then `make messages-check`:", *problems]
    )


def test_translate_with_the_request_first_is_extracted() -> None:
    found = messages.extract_messages(ROOT)
    # kit.web.handle_validation_error says this through translate(request, "...") only
    message = "Some of what you entered is not right. Please check it."
    assert any(path == "src/eportfolio/kit/web.py" for path, _ in found[(message, None)].locations)


# The tool on a tiny project -------------------------------------------------------------------


def test_extract_writes_one_catalogue_per_feature_with_shared_plumbing_in_core(project: Path) -> None:
    messages.extract_all(project)

    chat = {m.id: m.string for m in catalogue(project, "nl", "chat") if m.id}
    assert chat == {
        "Hello %(name)s": "",
        "Save": "",
        "Conversation": "",
        ("%(num)s new message", "%(num)s new messages"): ("", ""),
    }
    assert [m.id for m in catalogue(project, "nl", "modules") if m.id] == ["Lesson"]
    core = [m.id for m in catalogue(project, "nl", "core") if m.id]
    assert sorted(core) == ["Home", "This is no longer valid."]
    assert [m.id for m in catalogue(project, "en", "modules") if m.id] == ["Lesson"]


def test_a_message_used_by_two_features_lives_in_core_only_and_keeps_its_dutch(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "chat", {"Save": "Opslaan"})

    write(project, "frontend/templates/modules/lesson.html", '{{ _("Lesson") }} {{ _("Save") }}\n')
    messages.extract_all(project)

    assert "Save" not in [m.id for m in catalogue(project, "nl", "chat")]
    assert "Save" not in [m.id for m in catalogue(project, "nl", "modules")]
    assert entry(project, "nl", "core", "Save").string == "Opslaan"
    assert "Save" not in catalogue(project, "nl", "chat").obsolete


def test_extract_keeps_translations_adds_new_messages_and_marks_gone_ones_obsolete(
    project: Path,
) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "modules", {"Lesson": "Les"})

    write(project, "frontend/templates/modules/lesson.html", '{{ _("Lesson") }} {{ _("Homework") }}\n')
    messages.extract_all(project)
    assert entry(project, "nl", "modules", "Lesson").string == "Les"
    assert entry(project, "nl", "modules", "Homework").string == ""

    write(project, "frontend/templates/modules/lesson.html", '{{ _("Homework") }}\n')
    messages.extract_all(project)
    modules = catalogue(project, "nl", "modules")
    assert modules.get("Lesson") is None
    assert modules.obsolete["Lesson"].string == "Les"

    write(project, "frontend/templates/modules/lesson.html", '{{ _("Homework") }} {{ _("Lesson") }}\n')
    messages.extract_all(project)
    assert entry(project, "nl", "modules", "Lesson").string == "Les"


def test_a_slightly_reworded_message_gets_the_old_dutch_marked_for_review(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "modules", {"Lesson": "Les"})
    write(project, "frontend/templates/modules/lesson.html", '{{ _("Lessons") }}\n')
    messages.extract_all(project)

    reworded = entry(project, "nl", "modules", "Lessons")
    assert reworded.string == "Les"
    assert reworded.fuzzy
    assert any("marked fuzzy" in problem for problem in messages.check(project))


def test_extract_twice_changes_nothing(project: Path) -> None:
    messages.extract_all(project)
    before = {p: p.read_bytes() for p in (project / "frontend" / "locales").rglob("*.po")}
    changes = messages.extract_all(project)
    after = {p: p.read_bytes() for p in (project / "frontend" / "locales").rglob("*.po")}
    assert after == before
    assert not any(change.written for change in changes)


def test_check_lists_every_message_without_dutch(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "modules", {"Lesson": "Les"})

    problems = messages.check(project)

    assert not any("'Lesson'" in problem for problem in problems)
    assert "frontend/locales/nl/chat.po: 'Conversation': no Dutch translation" in problems
    assert "frontend/locales/nl/core.po: 'Home': no Dutch translation" in problems
    assert not any("locales/en/" in problem for problem in problems)  # English may stay empty


def test_check_finds_messages_that_were_never_extracted(project: Path) -> None:
    messages.extract_all(project)
    write(project, "frontend/templates/modules/quiz.html", '{{ _("Start the quiz") }}\n')

    problems = messages.check(project)

    assert any("'Start the quiz' is not in any Dutch catalogue" in p for p in problems)
    assert "frontend/locales/en: 'Start the quiz' is not in any English catalogue" in messages.review(project).tidy_ups


def test_a_message_in_the_wrong_catalogue_asks_for_extract_but_does_not_fail(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "chat", {"Save": "Opslaan"})
    write(project, "frontend/templates/modules/lesson.html", '{{ _("Lesson") }} {{ _("Save") }}\n')

    found = messages.review(project)

    assert "frontend/locales/nl: 'Save' belongs in core.po" in found.tidy_ups
    assert not any("'Save'" in problem for problem in found.problems)


def test_check_finds_placeholder_mismatches(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "chat", {"Hello %(name)s": "Hallo %(naam)s"})

    problems = messages.check(project)

    assert (
        "frontend/locales/nl/chat.po: 'Hello %(name)s': translation lacks %(name)s" in problems
    )
    assert (
        "frontend/locales/nl/chat.po: 'Hello %(name)s': translation has unknown %(naam)s"
        in problems
    )


def test_check_finds_a_stray_percent_sign_where_parameters_are_filled_in(project: Path) -> None:
    messages.extract_all(project)
    translate_in_file(project, "nl", "chat", {"Hello %(name)s": "100% welkom, %(name)s"})

    problems = messages.check(project)

    assert any("stray %" in problem for problem in problems)


def test_check_finds_text_written_straight_into_a_template(project: Path) -> None:
    write(
        project,
        "frontend/templates/modules/raw.html",
        '<h1>Lesson {{ number }}</h1>\n'
        '<input name="q" placeholder="Type here" aria-label="{{ _(\'Search\') }}">\n'
        '<p>{{ _("Lesson") }} · {{ title }} ← {{ size }} MB</p>\n'
        '{# Translators: a comment is not shown #}<script type="module" src="/x.js"></script>\n',
    )
    messages.extract_all(project)

    problems = [p for p in messages.check(project) if "is not passed through" in p]

    assert problems == [
        "frontend/templates/modules/raw.html:1: 'Lesson' is not passed through _()",
        "frontend/templates/modules/raw.html:2: 'placeholder=\"Type here\"' is not passed through _()",
    ]


def test_the_command_exits_non_zero_while_dutch_is_missing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert messages.main(["--root", str(project), "extract"]) == 0
    assert messages.main(["--root", str(project), "check"]) == 1
    assert "'Lesson': no Dutch translation" in capsys.readouterr().out


# Pages -----------------------------------------------------------------------------------------


async def test_a_page_is_dutch_by_default(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)

    page = await browser.get(f"/manage/programmes/{world.programme_a}")

    assert page.status_code == 200
    assert '<html lang="nl" dir="ltr">' in page.text
    assert "Gemeente" in page.text
    assert "Municipality" not in page.text


async def test_choosing_english_shows_the_page_in_english(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    overview = f"/manage/programmes/{world.programme_a}"

    chosen = await browser.post_form("/language", {"language": "en", "next": overview})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == overview
    page = await browser.get(overview)

    assert '<html lang="en" dir="ltr">' in page.text
    assert "Municipality" in page.text
    assert "Gemeente" not in page.text


def test_arabic_is_written_right_to_left() -> None:
    assert i18n.direction("ar") == "rtl"
    assert i18n.direction("nl") == "ltr"
