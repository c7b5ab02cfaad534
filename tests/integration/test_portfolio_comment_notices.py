"""A comment on a portfolio item reaches the other side: her coach's reply gives her a neutral
notice and a line under "Vandaag" on her home; her reply gives her coaches a notice. Opening the
replies makes the notice read, so the line goes away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from tests.support.portfolio import Cast, make_cast
from tests.support.world import World


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        yield await make_cast(app, world, stack)


async def _shared_item(cast: Cast) -> tuple[dict, bytes]:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    people = cast.people(her, coach)
    await her.start_epoch(portfolio, people)
    item, _ = await her.write(portfolio, "diary", {"title": "My budget", "body": "what I learned"})
    served = await coach.ok("GET", f"/api/v1/portfolio/{portfolio}/items")
    shared = next(i for i in served if i["id"] == item["id"])
    _, key = await coach.read(shared, people)
    return shared, key


async def test_a_coach_comment_tells_her_and_shows_under_today_until_she_reads_it(cast: Cast) -> None:
    her, coach = cast.her, cast.coach
    shared, key = await _shared_item(cast)
    her.browser.http.cookies.set("ep_lang", "nl")
    home = (await her.browser.get("/")).text
    assert 'data-today-item="portfolio-reply"' not in home

    body = coach.comment_body(shared, key, "Well done, the secret words stay secret!")
    await coach.ok("POST", f"/api/v1/portfolio/items/{shared['id']}/comments", body, status=201)

    link = f"/portfolio/programmes/{cast.world.programme_a}?item={shared['id']}"
    notices = (await her.browser.get("/notifications")).text
    assert "Je coach heeft gereageerd in je portfolio." in notices
    assert "secret words" not in notices
    listed = await her.ok("GET", "/api/v1/notifications")
    mine = [n for n in listed if n["kind"] == "portfolio_comment"]
    assert [n["link"] for n in mine] == [link]
    assert mine[0]["params"] == {}, "the notice carries nothing of the comment"

    home = (await her.browser.get("/")).text
    assert 'data-today-item="portfolio-reply"' in home
    assert f'href="{link}"' in home.replace("&amp;", "&")
    assert "Je coach heeft gereageerd in je portfolio" in home

    # A second reply on the same item brings the one notice back, not a second one.
    body = coach.comment_body(shared, key, "And one more.")
    await coach.ok("POST", f"/api/v1/portfolio/items/{shared['id']}/comments", body, status=201)
    listed = await her.ok("GET", "/api/v1/notifications")
    assert len([n for n in listed if n["kind"] == "portfolio_comment"]) == 1

    # She opens the item (its replies): the notice is read and the line is gone.
    await her.ok("GET", f"/api/v1/portfolio/items/{shared['id']}/comments")
    home = (await her.browser.get("/")).text
    assert 'data-today-item="portfolio-reply"' not in home
    listed = await her.ok("GET", "/api/v1/notifications")
    assert all(n["read_at"] for n in listed if n["kind"] == "portfolio_comment")
    # The coach got nothing for his own comment.
    theirs = await coach.ok("GET", "/api/v1/notifications")
    assert not [n for n in theirs if n["kind"].startswith("portfolio_comment")]


async def test_her_comment_tells_her_coach(cast: Cast) -> None:
    her, coach = cast.her, cast.coach
    shared, key = await _shared_item(cast)
    body = her.comment_body(shared, key, "Thank you")
    await her.ok("POST", f"/api/v1/portfolio/items/{shared['id']}/comments", body, status=201)

    theirs = await coach.ok("GET", "/api/v1/notifications")
    notices = [n for n in theirs if n["kind"] == "portfolio_comment_coach"]
    assert [n["link"] for n in notices] == [f"/portfolio/{cast.portfolio_id}?item={shared['id']}"]
    coach.browser.http.cookies.set("ep_lang", "nl")
    page = (await coach.browser.get("/notifications")).text
    assert "Er is een nieuwe reactie in een portfolio van iemand die je coacht." in page
    mine = await her.ok("GET", "/api/v1/notifications")
    assert not [n for n in mine if n["kind"].startswith("portfolio_comment")], "not for her own comment"

    await coach.ok("GET", f"/api/v1/portfolio/items/{shared['id']}/comments")
    theirs = await coach.ok("GET", "/api/v1/notifications")
    assert all(n["read_at"] for n in theirs if n["kind"] == "portfolio_comment_coach")


async def test_her_comment_on_an_item_only_for_herself_tells_nobody(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    await her.start_epoch(portfolio, cast.people(her, coach))
    item, key = await her.write(portfolio, "diary", {"title": "Only mine", "body": "a bad day"}, audience="only_me")
    await her.ok("POST", f"/api/v1/portfolio/items/{item['id']}/comments", her.comment_body(item, key, "note"),
                 status=201)
    theirs = await coach.ok("GET", "/api/v1/notifications")
    assert not [n for n in theirs if n["kind"].startswith("portfolio_comment")]
