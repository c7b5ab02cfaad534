"""Which interface languages are offered (only complete ones), language names, plural forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from eportfolio.kit import i18n

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


def po(directory: Path, language: str, feature: str, entries: str) -> None:
    path = directory / language / f"{feature}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + entries, encoding="utf-8")


HOME = 'msgid "Home"\nmsgstr "{home}"\n\n'
COMMENTS = 'msgid "%(num)s comment"\nmsgid_plural "%(num)s comments"\nmsgstr[0] "{one}"\nmsgstr[1] "{other}"\n\n'
LOGIN = 'msgid "Log in"\nmsgstr "{login}"\n'


def core(home: str, one: str, other: str) -> str:
    return HOME.format(home=home) + COMMENTS.format(one=one, other=other)


def test_only_languages_with_every_message_translated_are_offered(tmp_path: Path) -> None:
    po(tmp_path, "nl", "core", core("Start", "%(num)s reactie", "%(num)s reacties"))
    po(tmp_path, "nl", "accounts", LOGIN.format(login="Inloggen"))
    po(tmp_path, "en", "core", core("", "", ""))
    # Turkish: complete. Polish: one plural form missing. Arabic: a feature's file missing.
    # Papiamentu: one message only fuzzy. Somali: one message empty.
    po(tmp_path, "tr", "core", core("Ana sayfa", "%(num)s yorum", "%(num)s yorum"))
    po(tmp_path, "tr", "accounts", LOGIN.format(login="Giriş"))
    po(tmp_path, "pl", "core", core("Start", "%(num)s komentarz", ""))
    po(tmp_path, "pl", "accounts", LOGIN.format(login="Zaloguj"))
    po(tmp_path, "ar", "core", core("الرئيسية", "تعليق", "تعليقات"))
    po(tmp_path, "pap", "core", core("Inisio", "%(num)s komentario", "%(num)s komentario"))
    po(tmp_path, "pap", "accounts", "#, fuzzy\n" + LOGIN.format(login="Drenta"))
    po(tmp_path, "so", "core", core("", "%(num)s faallo", "%(num)s faallo"))
    po(tmp_path, "so", "accounts", LOGIN.format(login="Gal"))

    assert i18n.complete_languages(tmp_path) == ("nl", "en", "tr")


def test_the_real_catalogues_offer_dutch_and_english_first() -> None:
    offered = i18n.ui_languages()
    assert offered[:2] == ("nl", "en")
    assert offered == i18n.complete_languages(i18n.LOCALES_DIR)
    assert i18n.pick_language("ar") == "nl", "a language not offered falls back to Dutch"
    assert i18n.pick_language("en") == "en"


def test_languages_are_named_in_the_interface_language() -> None:
    assert i18n.language_name("de", "nl") == "Duits"
    assert i18n.language_name("de", "en") == "German"
    assert i18n.language_name("pap", "nl") == "Papiaments"
    assert i18n.language_name("xx", "nl") == "xx"
    assert i18n.own_language_name("tr") == "Türkçe"
    assert i18n.own_language_name("uk") == "Українська"
    assert i18n.level_label("mixed", "nl") == "Gemengde niveaus"
    assert i18n.level_label("mixed", "en") == "Mixed levels"
    assert i18n.level_label("B1", "nl") == "B1"


def test_plural_forms_give_one_text_per_category_of_the_language() -> None:
    assert i18n.plural_forms("nl", "%(num)s comment", "%(num)s comments") == {
        "one": "%(num)s reactie",
        "other": "%(num)s reacties",
    }
    # Arabic has six categories; untranslated, each falls back to the English forms.
    arabic = i18n.plural_forms("ar", "%(num)s comment", "%(num)s comments")
    assert set(arabic) == {"zero", "one", "two", "few", "many", "other"}


def test_untranslated_fuzzy_and_partly_translated_messages_show_the_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po(tmp_path, "tr", "core", core("Ana sayfa", "%(num)s yorum", ""))
    po(tmp_path, "tr", "accounts", "#, fuzzy\n" + LOGIN.format(login="Giriş"))
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext("tr", "Home") == "Ana sayfa"
        assert i18n.ngettext("tr", "%(num)s comment", "%(num)s comments", 5) == "5 comments"
        assert i18n.gettext("tr", "Log in") == "Log in"
    finally:
        i18n.translations.cache_clear()
