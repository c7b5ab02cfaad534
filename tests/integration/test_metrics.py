"""Prometheus metrics at /metrics: requests by route template, the KDF queue, and who may read them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from eportfolio.accounts.hashing import SecretHasher
from eportfolio.app import create_app
from eportfolio.config import Settings
from eportfolio.kit.metrics import UNMATCHED
from tests.support.client import Browser
from tests.support.world import World


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def app_with_token(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"metrics_token": "scrape-" + "y" * 30}))
    yield application
    await application.state.engine.dispose()


def client(app: FastAPI, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_requests_are_counted_by_route_template_not_by_address(
    app: FastAPI, browser: Browser, world: World
) -> None:
    route = "/manage/programmes/{programme_id}"
    before = sample("eportfolio_http_requests_total", route=route, method="GET", status="2xx")
    timed = sample("eportfolio_http_request_duration_seconds_count", route=route, method="GET")
    await browser.log_in_as(world.staff_a)

    assert (await browser.get(f"/manage/programmes/{world.programme_a}")).status_code == 200

    assert sample("eportfolio_http_requests_total", route=route, method="GET", status="2xx") == before + 1
    assert sample("eportfolio_http_request_duration_seconds_count", route=route, method="GET") == timed + 1
    async with client(app) as local:
        text = (await local.get("/metrics")).text
    assert str(world.programme_a) not in text


async def test_unknown_addresses_share_one_label(browser: Browser) -> None:
    before = sample("eportfolio_http_requests_total", route=UNMATCHED, method="GET", status="4xx")

    for _ in range(3):
        assert (await browser.get(f"/no-such-page/{uuid.uuid4()}")).status_code == 404

    assert sample("eportfolio_http_requests_total", route=UNMATCHED, method="GET", status="4xx") == before + 3


async def test_static_files_count_under_their_mount(browser: Browser) -> None:
    route = "/static/{path}"
    before = sample("eportfolio_http_requests_total", route=route, method="GET", status="2xx")

    assert (await browser.get("/static/icon.svg")).status_code == 200

    assert sample("eportfolio_http_requests_total", route=route, method="GET", status="2xx") == before + 1


async def test_metrics_are_read_from_this_machine_only_without_a_token(app: FastAPI) -> None:
    async with client(app) as local:
        response = await local.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "eportfolio_http_requests_total" in response.text
        assert "eportfolio_kdf_waiting" in response.text
        # Through a proxy on this machine it is someone else asking.
        assert (await local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})).status_code == 404
    async with client(app, host="203.0.113.9") as remote:
        assert (await remote.get("/metrics")).status_code == 404


async def test_production_without_a_token_shows_no_metrics(settings: Settings) -> None:
    production = settings.model_copy(
        update={"env": "production", "base_url": "https://portfolio.example.nl", "secret_key": "p" * 40}
    )
    application = create_app(production)
    try:
        async with client(application) as local:
            assert (await local.get("/metrics", headers={"host": "portfolio.example.nl"})).status_code == 404
    finally:
        await application.state.engine.dispose()


async def test_with_a_token_the_scraper_must_send_it(app_with_token: FastAPI) -> None:
    token = app_with_token.state.settings.metrics_token
    async with client(app_with_token, host="203.0.113.9") as remote:
        assert (await remote.get("/metrics")).status_code == 403
        assert (await remote.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403
        response = await remote.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "eportfolio_http_request_duration_seconds_bucket" in response.text
    async with client(app_with_token) as local:
        assert (await local.get("/metrics")).status_code == 403, "with a token set, loopback needs it too"


async def test_the_kdf_queue_is_measured() -> None:
    hasher = SecretHasher(concurrency=1)
    hashed = sample("eportfolio_kdf_seconds_count")
    seen: list[tuple[float, float]] = []

    async def watch() -> None:
        while True:
            seen.append((sample("eportfolio_kdf_waiting"), sample("eportfolio_kdf_running")))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    try:
        stored = await asyncio.gather(*(hasher.hash(bytes([i]) * 32) for i in range(3)))
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    assert await hasher.verify(stored[0], bytes([0]) * 32)
    assert sample("eportfolio_kdf_seconds_count") == hashed + 4
    assert max(running for _, running in seen) == 1, "one slot: never two at once"
    assert max(waiting for waiting, _ in seen) >= 1, "the others queued for the slot"
    assert (sample("eportfolio_kdf_waiting"), sample("eportfolio_kdf_running")) == (0.0, 0.0)
