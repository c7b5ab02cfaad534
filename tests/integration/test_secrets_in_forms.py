"""A password, recovery code or reset code never leaves in a form or a web address.

Their fields have no name (the page's script reads them by id), so a form submitted before its
script ran sends none of them; such a form posts to a page that says JavaScript is needed. A
web address that carries one anyway is refused with 400, and the access log leaves it out.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from eportfolio.kit.logging import RedactedTargets
from eportfolio.kit.security import REDACTED, redact_target
from eportfolio.kit.web import templates
from tests.support.client import Browser
from tests.support.intake import apply, open_page, sign_team
from tests.support.keyring_client import invitation_for
from tests.support.live import live_server
from tests.support.world import World
from tests.support.world_keys import world_keys

SECRET = "hunter2-her-secret"
NO_SCRIPT = "/needs-javascript"


class _Forms(HTMLParser):
    """Every input with the attributes of the form around it."""

    def __init__(self) -> None:
        super().__init__()
        self.form: dict[str, str | None] | None = None
        self.inputs: list[tuple[dict[str, str | None], dict[str, str | None] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.form = dict(attrs)
        elif tag == "input":
            self.inputs.append((dict(attrs), self.form))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None


def _is_secret(field: dict[str, str | None]) -> bool:
    return field.get("type") == "password" or field.get("id") in {"f-code", "f-recovery-code"}


def _secret_fields(html: str) -> list[tuple[dict[str, str | None], dict[str, str | None] | None]]:
    parser = _Forms()
    parser.feed(html)
    return [(field, form) for field, form in parser.inputs if _is_secret(field)]


def _check(html: str, page: str, expected: int) -> None:
    fields = _secret_fields(html)
    assert len(fields) == expected, (page, [f for f, _ in fields])
    for field, form in fields:
        assert "name" not in field, f"{page}: #{field.get('id')} has a name and would be sent"
        assert form is not None, page
        assert form.get("method") == "post", f"{page}: #{form.get('id')} would send a GET"
        assert (form.get("action") or "").startswith(NO_SCRIPT), page


async def test_no_password_or_code_field_has_a_name_and_their_forms_post_to_the_no_script_page(
    app: FastAPI, browser: Browser, world: World
) -> None:
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    pages = {"/login": 1, "/recover": 3, "/recovery/device": 2, "/recovery/reset": 3, f"/join?code={code}": 2}
    for url, expected in pages.items():
        response = await browser.get(url)
        assert response.status_code == 200, url
        _check(response.text, url, expected)
    await browser.log_in_as(world.participant_a)
    response = await browser.get("/account/password")
    _check(response.text, "/account/password", 3)
    assert f'action="{NO_SCRIPT}?back=/account/password"' in response.text


def _consent_page(consented: bool) -> str:
    """Her consent page in both states (making a real programme recovery key is tested elsewhere)."""
    consent = SimpleNamespace(consented=consented, has_recovery_key=True, given_at=datetime.now(UTC))
    return templates.get_template("recovery/consent.html").render(
        lang="en", dir="ltr", csrf_token="x", caller=None, ui_languages=[], current_path="/recovery/consent",
        programme=SimpleNamespace(id=uuid.uuid4(), name="P"), consent=consent,
    )


def test_the_consent_and_withdrawal_forms_send_no_password_or_code() -> None:
    _check(_consent_page(consented=False), "consent", 1)
    _check(_consent_page(consented=True), "withdrawal", 2)


# Without the script ----------------------------------------------------------------------------


async def test_the_no_script_page_explains_and_shows_nothing_of_what_was_sent(browser: Browser) -> None:
    browser.http.cookies.set("ep_lang", "en")
    sent = await browser.http.post(
        f"{NO_SCRIPT}?back=/login",
        content=f"login=mother.a&password={SECRET}&code={SECRET}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 400
    assert "JavaScript" in sent.text
    assert "your password and codes were not sent" in sent.text
    assert SECRET not in sent.text
    assert "mother.a" not in sent.text
    assert 'href="/login"' in sent.text
    for back in ("//elsewhere.example/login", "https://elsewhere.example/", "javascript:alert(1)"):
        page = await browser.http.post(f"{NO_SCRIPT}", params={"back": back})
        assert page.status_code == 400
        assert "elsewhere" not in page.text
        assert "alert(1)" not in page.text
    async with Browser(browser.app) as dutch:
        answer = await dutch.http.post(f"{NO_SCRIPT}?back=/recover", content=b"x=1")
    assert "JavaScript is nodig" in answer.text
    assert 'href="/recover"' in answer.text


# In a web address ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/login", "password"),
        ("/login", "Password"),
        ("/account/password", "current"),
        ("/account/password", "new_password"),
        ("/join", "password2"),
        ("/recover", "code"),
        ("/recover", "recovery_code"),
        ("/recovery/reset", "code"),
        ("/recovery/reset", "reset_code"),
        ("/", "password"),
    ],
)
async def test_a_password_or_code_in_a_web_address_is_refused(browser: Browser, url: str, field: str) -> None:
    browser.http.cookies.set("ep_lang", "en")
    response = await browser.get(url, params={"login": "mother.a", field: SECRET})
    assert response.status_code == 400
    assert "A password or code was in the web address" in response.text
    assert SECRET not in response.text


async def test_an_api_call_with_a_secret_in_its_address_gets_the_usual_error(browser: Browser) -> None:
    response = await browser.api("POST", f"/api/v1/auth/prelogin?auth_proof={SECRET}", {"login": "mother.a"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_in_address"
    assert SECRET not in response.text


async def test_the_invitation_code_of_a_printed_link_still_opens_the_join_page(
    app: FastAPI, browser: Browser, world: World
) -> None:
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    assert (await browser.get(f"/join?code={code}")).status_code == 200


# The access log --------------------------------------------------------------------------------


def test_request_targets_lose_what_could_hold_a_secret() -> None:
    assert redact_target(f"/login?login=her&password={SECRET}") == f"/login?{REDACTED}"
    assert redact_target("/join?code=ABCD-EFGH") == f"/join?{REDACTED}"
    assert redact_target("/api/v1/auth/invitations/ABCD-EFGH-JKMN") == f"/api/v1/auth/invitations/{REDACTED}"
    assert redact_target(f"/portfolio?x=1&new%5Fpassword={SECRET}") == f"/portfolio?x=1&new%5Fpassword={REDACTED}"
    assert redact_target("/static/css/app.css?v=abc") == "/static/css/app.css?v=abc"
    assert redact_target("/recovery/device") == "/recovery/device"
    # The tokens of secret links in a path: her status page, a partner's referral link.
    assert redact_target(f"/apply/status/{SECRET}") == f"/apply/status/{REDACTED}"
    assert redact_target(f"/refer/{SECRET}?x=1") == f"/refer/{REDACTED}?x=1"
    assert redact_target(f"/api/v1/intake/referrals/{SECRET}/team") == f"/api/v1/intake/referrals/{REDACTED}/team"
    assert (
        redact_target(f"/api/v1/intake/referrals/{SECRET}/applications")
        == f"/api/v1/intake/referrals/{REDACTED}/applications"
    )
    assert redact_target("/apply/status/") == "/apply/status/"
    assert redact_target(f"/apply/{uuid.UUID(int=1)}") == f"/apply/{uuid.UUID(int=1)}"

    for target in (f"/recover?code={SECRET}", f"/apply/status/{SECRET}", f"/refer/{SECRET}"):
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", target, "1.1", 400), None,
        )
        assert RedactedTargets().filter(record)
        assert SECRET not in record.getMessage()


def _caddy_uri_filter() -> tuple[str, str]:
    """The pattern and replacement of the proxy's log filter on the request's address."""
    caddyfile = (Path(__file__).parents[2] / "deploy" / "Caddyfile").read_text()
    found = re.search(r"request>uri regexp `([^`]+)` `([^`]+)`", caddyfile)
    assert found, "the proxy's access log must rewrite request>uri"
    return found.group(1), found.group(2)


def test_the_proxy_log_filter_leaves_out_query_strings_and_the_tokens_of_secret_links() -> None:
    pattern, replacement = _caddy_uri_filter()
    python_replacement = re.sub(r"\$(\d)", r"\\g<\1>", replacement)  # Go's $1 is Python's \g<1>

    def caddy(uri: str) -> str:
        # Go's ReplaceAllString leaves a group that took no part empty, as Python's re.sub does.
        return re.sub(pattern, python_replacement, uri)

    assert caddy(f"/login?password={SECRET}") == "/login?[redacted]"
    assert caddy("/join?code=ABCD-EFGH") == "/join?[redacted]"
    assert caddy(f"/apply/status/{SECRET}") == "/apply/status/[redacted]"
    assert caddy(f"/refer/{SECRET}") == "/refer/[redacted]"
    assert caddy(f"/api/v1/intake/referrals/{SECRET}/team") == "/api/v1/intake/referrals/[redacted]/team"
    assert caddy(f"/api/v1/auth/invitations/{SECRET}") == "/api/v1/auth/invitations/[redacted]"
    assert caddy("/static/css/app.css") == "/static/css/app.css"
    assert caddy(f"/apply/{uuid.UUID(int=1)}") == f"/apply/{uuid.UUID(int=1)}"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_real_server_logs_no_secret_from_a_web_address(
    app: FastAPI, world: World, database_url: str, tmp_path: Path
) -> None:
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    with live_server(database_url, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            answers: list[Any] = [
                await client.get("/login", params={"login": "mother.a", "password": SECRET}),
                await client.get("/recover", params={"code": SECRET}),
                await client.get(f"/join?code={code}"),
                await client.get(f"/api/v1/auth/invitations/{code}"),
                await client.post(f"{NO_SCRIPT}?back=/login", content=f"password={SECRET}"),
            ]
        assert [a.status_code for a in answers] == [400, 400, 200, 200, 400]
        log = server.log()
    assert '"GET /login?[redacted] HTTP/1.1" 400' in log, log[-2000:]
    assert SECRET not in log
    assert code not in log
    assert code.replace("-", "") not in log


async def test_the_real_server_logs_no_status_or_referral_token(
    app: FastAPI, browser: Browser, world: World, database_url: str, tmp_path: Path
) -> None:
    keys = await world_keys(app, world)
    await open_page(app, world)
    await browser.log_in_as(world.staff_a)
    await sign_team(browser, keys, [world.staff_a])
    browser.log_out()
    answer = await apply(browser, world.programme_a)
    assert answer.status_code == 201, answer.text
    status_url = answer.json()["status_url"]
    token = status_url.rsplit("/", 1)[1]
    referral = "referral-" + SECRET
    with live_server(database_url, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            answers = [
                await client.get(status_url),
                await client.get(f"/refer/{referral}"),
                await client.get(f"/api/v1/intake/referrals/{referral}/team"),
            ]
        assert [a.status_code for a in answers] == [200, 404, 404]
        log = server.log()
    assert '"GET /apply/status/[redacted] HTTP/1.1" 200' in log, log[-2000:]
    assert '"GET /api/v1/intake/referrals/[redacted]/team HTTP/1.1" 404' in log, log[-2000:]
    assert token not in log
    assert SECRET not in log
