"""Words a newcomer tripped over: languages offered only when complete, languages and levels by
name in her language, counts with the right plural, "door jou" for what she wrote herself."""

from __future__ import annotations

import html
import json
import re

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Group, Person, Programme
from tests.support.client import Browser
from tests.support.keyring_client import join
from tests.support.modules import published_module
from tests.support.world import World

PASSWORD = "a long walk on the beach"


def _options(page: str, select_name: str) -> list[tuple[str, str]]:
    found = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert found is not None, f"no select {select_name}"
    return [
        (value, html.unescape(label).strip())
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    ]


async def test_only_complete_interface_languages_are_offered(app: FastAPI, browser: Browser, world: World) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    await browser.log_in_as(world.participant_a)

    account = await browser.get("/account")
    assert _options(account.text, "language") == [("nl", "Nederlands"), ("en", "English")]
    switch = re.search(r'<form class="language-switch".*?</form>', account.text, re.DOTALL)
    assert switch is not None
    assert re.findall(r'name="language" value="(\w+)"', switch.group(0)) == ["en"]

    refused = await browser.post_form("/account/language", {"language": "ar"})
    assert refused.status_code == 422
    assert "Kies een van de talen uit de lijst." in refused.text
    async with unit_of_work(app.state.sessionmaker) as uow:
        assert (await uow.session.get(Person, world.participant_a)).language == "nl"  # type: ignore[union-attr]  # the world made this row, so get() finds it
    chosen = await browser.post_form("/account/language", {"language": "en"})
    assert chosen.status_code == 303


async def test_languages_and_levels_are_named_in_her_language(app: FastAPI, browser: Browser, world: World) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        programme = await uow.session.get(Programme, world.programme_a)
        assert programme is not None
        programme.languages = ["nl", "en", "ar", "de"]
        group = await uow.session.get(Group, world.group_a)
        assert group is not None
        group.language_level = "mixed"
    await browser.log_in_as(world.staff_a)
    base = f"/manage/programmes/{world.programme_a}"

    overview = (await browser.get(base)).text
    assert "Nederlands, Engels, Arabisch, Duits" in overview
    settings = (await browser.get(f"{base}/settings")).text
    assert re.search(r'value="de"[^>]*>\s*Duits</label>', settings), "languages by name, not code"
    people = (await browser.get(f"{base}/people")).text
    assert ("de", "Duits") in _options(people, "language")
    assert ("pap", "Papiaments") in _options(people, "language")

    groups = (await browser.get(f"{base}/groups")).text
    assert "Gemengde niveaus ·" in groups
    assert ">mixed<" not in groups
    assert ("mixed", "Gemengde niveaus") in _options(groups, "language_level")

    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    modules = (await browser.get(f"{base}/modules")).text
    assert ("mixed", "Gemengde niveaus") in _options(modules, "language_level")
    module_page = (await browser.get(f"{base}/modules/{module['module_id']}")).text
    assert "Vertalen naar Duits" in module_page
    assert "Vertalen naar Arabisch" in module_page
    assert ("A0", "A0 (beginner)") in _options(module_page, "language_level")
    translations = (await browser.get(f"{base}/modules/{module['module_id']}/translations/de")).text
    assert "<h1>Vertalen naar Duits</h1>" in translations

    browser.http.cookies.set("ep_lang", "en")
    assert "Dutch, English, Arabic, German" in (await browser.get(base)).text


async def test_counts_have_the_right_plural(app: FastAPI, browser: Browser, world: World) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        group = (await uow.session.execute(select(Group).where(Group.id == world.group_a))).scalar_one()
        group.capacity = 1
    await browser.log_in_as(world.staff_a)
    groups = (await browser.get(f"/manage/programmes/{world.programme_a}/groups")).text
    assert "0 van de 1 plaats bezet" in groups
    async with unit_of_work(app.state.sessionmaker) as uow:
        (await uow.session.get(Group, world.group_a)).capacity = 8  # type: ignore[union-attr]  # the world made this row, so get() finds it
    assert "0 van de 8 plaatsen bezet" in (await browser.get(f"/manage/programmes/{world.programme_a}/groups")).text

    # Counts the portfolio's script fills in: one text per plural category, for Intl.PluralRules.
    await browser.log_in_as(world.participant_a)
    portfolio = (await browser.get(f"/portfolio/programmes/{world.programme_a}")).text
    words = re.search(r'<div id="portfolio-messages"(.*?)></div>', portfolio, re.DOTALL)
    assert words is not None
    attributes = {k: html.unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', words.group(1))}
    assert json.loads(attributes["comments"]) == {"one": "%(num)s reactie", "other": "%(num)s reacties"}
    assert json.loads(attributes["progress"]) == {
        "one": "%(done)s van %(num)s stap gedaan",
        "other": "%(done)s van %(num)s stappen gedaan",
    }
    assert attributes["by-me"] == "door jou", "not 'door Jij'"
