"""A body over ``EPORTFOLIO_MAX_BODY_BYTES`` gets 413 in the usual error shape, also when it comes
without a Content-Length (chunked) and only turns out too large while it streams in."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI

from tests.support.client import Browser
from tests.support.world import World


def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        sent = 0
        while sent < total:
            yield b"x" * size
            sent += size
        yield b'"}'

    return generate()


async def test_a_chunked_json_body_over_the_limit_gets_413(app: FastAPI, browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    limit = app.state.settings.max_body_bytes
    response = await browser.http.post(
        "/api/v1/programmes",
        content=_chunks(limit + 256 * 1024),
        headers={"x-csrf-token": await browser.csrf(), "content-type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}, "sent chunked"
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert error["message"]


async def test_a_chunked_form_over_the_limit_gets_a_413_page(app: FastAPI, browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    token = await browser.csrf()

    async def form() -> AsyncIterator[bytes]:
        yield f"csrf_token={token}&name=".encode()
        for _ in range(app.state.settings.max_body_bytes // (64 * 1024) + 4):
            yield b"x" * 64 * 1024

    response = await browser.http.post(
        "/manage/programmes/new", content=form(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "Wat je stuurt, is te groot." in response.text


async def test_a_chunked_body_under_the_limit_still_works(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)

    async def small() -> AsyncIterator[bytes]:
        yield b'{"name": "Chunked programme", '
        yield b'"slug": "chunked", "municipality": "Utrecht"}'

    response = await browser.http.post(
        "/api/v1/programmes",
        content=small(),
        headers={"x-csrf-token": await browser.csrf(), "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
