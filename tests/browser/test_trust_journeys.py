"""One trust decision in real Chromium at phone width (frontend/static/js/shared/trust.js):

- after a coach-assisted reset, her second coach's browser takes her new key on her first coach's
  signed vouch (he checked it in person), so it grants and reads again without a warning; before
  the vouch it warned and granted nothing;
- a changed programme key shows the confirm screen with the old and the new code (text and QR),
  for her and for her coach, and nothing is granted by itself until she confirms it in person;
- a coach whose changed key she confirmed in person on her portfolio page is not flagged in chat.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, update

from eportfolio import crypto
from eportfolio.kit.clock import utcnow
from eportfolio.programmes.tables import CoachAssignment
from eportfolio.recovery.tables import ProgrammeRecoveryKey
from eportfolio.trust.tables import ProgrammeKey
from tests.support.browser import PHONE
from tests.support.coach_keys import coach_gets_new_keys
from tests.support.live import LiveServer, in_database
from tests.support.portfolio_journey import cast, cast_keeping_keys, fits, phone_page, ready, write
from tests.support.signup import PASSWORD
from tests.support.trust import ISSUED_AT, another_coach_of_hers
from tests.support.world import World

pytestmark = pytest.mark.browser

KEY_WORK_MS = 60_000
NEW_PASSWORD = "my new phone and a new sentence"


async def _coach(
    server: LiveServer,
    database_url: str,
    world: World,
    programme_key: crypto.SigningKey,
    name: str,
    login: str,
    serial: int,
) -> uuid.UUID:
    """Another coach of hers: signed up, with an assignment signed by `programme_key`; returns his id."""
    return await another_coach_of_hers(
        server, database_url, world, programme_key, name, login,
        serial=serial, issued_at=ISSUED_AT + serial, language="en",
    )


async def _her_portfolio_as_coach(page: Any, server: LiveServer) -> None:
    await page.goto(f"{server.url}/portfolio")
    await page.click("a[href^='/portfolio/']:not([href*=programmes])")
    await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)


async def _portfolio_state(page: Any, programme_id: Any) -> dict[str, Any]:
    """Her portfolio as the server serves it to this page's user (epoch, who holds the current key)."""
    state: dict[str, Any] = await page.evaluate(
        """async ([programme, portfolio]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const url = portfolio ? `/api/v1/portfolio/${portfolio}` : `/api/v1/portfolio/programmes/${programme}/mine`;
            const answer = await fetch(url, portfolio ? {} : {method: 'POST', body: '{}',
                headers: {'content-type': 'application/json', 'x-csrf-token': csrf}});
            return answer.json();
        }""",
        [str(programme_id), await page.get_attribute("#portfolio-app", "data-portfolio")],
    )
    return state


def _holds(state: dict[str, Any], name: str) -> bool:
    return any(m["display_name"] == name and m["has_current_grant"] for m in state["members"])


async def _pin_of(page: Any, kind: int, subject: str) -> dict[str, Any] | None:
    """The entry for `subject` in this page's user's pinned-keys record, opened in the browser."""
    entry: dict[str, Any] | None = await page.evaluate(
        """async ([kind, subject]) => {
            const lib = await import('/static/js/crypto/index.js');
            const identity = await lib.loadSession();
            const answer = await fetch('/api/v1/pinned-keys');
            if (answer.status !== 200) return null;
            const { entries } = await lib.openPinnedKeys(identity, lib.b64uDecode((await answer.json()).record));
            const found = entries.find((e) => e.kind === kind && e.subjectId === subject);
            return found ? { confirmed: found.confirmed, keys: lib.b64uEncode(found.keyMaterial) } : null;
        }""",
        [kind, subject],
    )
    return entry


async def _reset_her(chromium: Any, server: LiveServer, world: World, errors: list[str]) -> tuple[Any, str]:
    """Staff hand her a reset code; her new phone makes new keys. Returns the phone and its fingerprint."""
    admin = await phone_page(chromium, server, "admin", errors)
    await admin.goto(f"{server.url}/recovery/programmes/{world.programme_a}/people/{world.participant_a}/reset")
    await admin.click("#make-reset")
    code = (await admin.inner_text("#reset-code")).strip()
    await admin.context.close()
    phone = await (await chromium.new_context(**PHONE)).new_page()
    phone.on("pageerror", lambda e: errors.append(str(e)))
    await phone.goto(f"{server.url}/recovery/reset")
    await phone.fill("#f-code", code)
    await phone.fill("#f-password", NEW_PASSWORD)
    await phone.fill("#f-password2", NEW_PASSWORD)
    await phone.check("#f-understood")
    await phone.click("#reset-form button[type=submit]")
    await phone.wait_for_selector("#reset-done:not([hidden])", timeout=KEY_WORK_MS)
    return phone, (await phone.inner_text("#my-fingerprint")).strip()


async def test_after_a_coach_assisted_reset_her_second_coach_grants_and_reads_on_her_first_coachs_vouch(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    programme_key = await cast(server, database_url, world)
    await _coach(server, database_url, world, programme_key, "Coach B", "coach.b", 2)
    leaving = await _coach(server, database_url, world, programme_key, "Coach C", "coach.c", 3)
    errors: list[str] = []

    # She shares with her three coaches; Coach B's browser meets (and pins) her key.
    her = await phone_page(chromium, server, "mother.a", errors)
    await ready(her, f"{server.url}/portfolio/programmes/{a}")
    await write(her, "diary", "Shared reflection", "What I learned at the workshop", "my_coaches")
    shared = await _portfolio_state(her, a)
    assert all(_holds(shared, n) for n in ("Coach A", "Coach B", "Coach C"))
    coach_b = await phone_page(chromium, server, "coach.b", errors)
    await _her_portfolio_as_coach(coach_b, server)
    assert "Mother A" not in await coach_b.inner_text("#status")
    old_pin = await _pin_of(coach_b, 1, str(world.participant_a))
    assert old_pin is not None
    assert old_pin["confirmed"] is False, "pinned at first sight"

    # Coach-assisted reset: new keys on her new phone. Coach C leaves, so a new key epoch is due.
    phone, new_fingerprint = await _reset_her(chromium, server, world, errors)
    await in_database(
        database_url, update(CoachAssignment).where(CoachAssignment.coach_id == leaving).values(ended_at=utcnow())
    )
    before = await _portfolio_state(coach_b, a)
    assert before["rotation_due"]

    # Before any coach vouched: Coach B's browser warns about her changed key and makes no key for it.
    await _her_portfolio_as_coach(coach_b, server)
    assert "Mother A" in await coach_b.inner_text("#status")
    assert (await _portfolio_state(coach_b, a))["epoch"] == before["epoch"], "nothing granted to an unchecked key"

    # Coach A compares her new fingerprint with her phone in person and confirms: his browser grants,
    # signs a vouch and pins her new key as confirmed.
    coach_a = await phone_page(chromium, server, "coach.a", errors)
    await _her_portfolio_as_coach(coach_a, server)
    await coach_a.wait_for_selector("#recovery-panel:not([hidden])")
    assert (await coach_a.inner_text("#recovery-fingerprint")).strip() == new_fingerprint
    assert new_fingerprint.replace(" ", "") in (await coach_a.get_attribute("#recovery-qr", "src") or "")
    await coach_a.wait_for_function("() => document.getElementById('recovery-qr').naturalWidth > 0")
    await coach_a.click("#recovery-confirm")
    await coach_a.wait_for_selector("#recovery-panel", state="hidden", timeout=30_000)
    pinned_by_a = await _pin_of(coach_a, 1, str(world.participant_a))
    assert pinned_by_a is not None
    assert pinned_by_a["confirmed"] is True, "re-pinned at vouch time"

    # Coach B's browser takes her new key on that signed vouch: no warning, no panel; it makes the
    # due key epoch for her and itself, and reads what she shared.
    await _her_portfolio_as_coach(coach_b, server)
    assert "Mother A" not in await coach_b.inner_text("#status")
    assert await coach_b.is_hidden("#recovery-panel")
    after = await _portfolio_state(coach_b, a)
    assert after["epoch"] == before["epoch"] + 1
    assert not after["rotation_due"]
    assert _holds(after, "Mother A")
    assert _holds(after, "Coach B")
    assert not _holds(after, "Coach C")
    new_pin = await _pin_of(coach_b, 1, str(world.participant_a))
    assert new_pin is not None
    assert new_pin["confirmed"] is True
    assert new_pin["keys"] != old_pin["keys"]
    await coach_b.click("#items .item-open >> text=Shared reflection")
    assert "What I learned at the workshop" in await coach_b.inner_text("#view-body")
    await fits(coach_b, "second-coach-after-reset")

    # Her new phone reads with the key Coach B's browser made for her, once she compared her
    # organisation's code in person: her new keys cannot open the list of keys she trusted before.
    await phone.click("#reset-done a")
    await phone.wait_for_url(f"{server.url}/")
    await ready(phone, f"{server.url}/portfolio/programmes/{a}")
    await phone.wait_for_selector("#key-change[data-kind=missing]:not([hidden])")
    async with phone.expect_navigation(timeout=30_000):
        await phone.click("#key-change-confirm")
    await phone.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await phone.click("#items .item-open >> text=Shared reflection")
    assert "What I learned at the workshop" in await phone.inner_text("#view-body")
    assert [e for e in errors if "status of 4" not in e] == [], errors


async def test_a_changed_programme_key_waits_for_her_in_person_check_before_anything_is_shared(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    org_key, old_key = await cast_keeping_keys(server, database_url, world)
    errors: list[str] = []
    mine = f"{server.url}/portfolio/programmes/{a}"

    # Her phone and Coach A's pin the programme key as it is now.
    her = await phone_page(chromium, server, "mother.a", errors)
    await ready(her, mine)
    await write(her, "diary", "Before the change", "Written under the old key", "my_coaches")
    assert await her.is_hidden("#key-change")
    coach_a = await phone_page(chromium, server, "coach.a", errors)
    await _her_portfolio_as_coach(coach_a, server)

    # The server now serves another programme key (certified by the organisation key), and a new
    # coach with an assignment signed by it.
    new_key = crypto.SigningKey.generate()
    certificate = org_key.sign_record(
        crypto.ProgrammeKeyCertificate(new_key.public),
        organisation_id=str(world.organisation_id),
        programme_id=str(a),
        serial=2,
        issued_at=1_780_000_500,
        signed_by=str(world.admin),
    )
    await in_database(
        database_url,
        update(ProgrammeKey)
        .where(ProgrammeKey.programme_id == a)
        .values(ed25519_public=new_key.public, certificate=certificate),
    )
    await _coach(server, database_url, world, new_key, "Coach B", "coach.b", 2)

    def shown(key: crypto.SigningKey) -> str:
        return crypto.fingerprint_text(crypto.fingerprint(crypto.FingerprintKind.PROGRAMME_KEY, str(a), key.public))

    # Her phone stops: the confirm screen, both codes as text and QR, and no grant to Coach B.
    await ready(her, mine)
    await her.wait_for_selector("#key-change:not([hidden])")
    assert await her.get_attribute("#key-change", "data-kind") == "programme"
    assert (await her.inner_text("#key-change-before")).strip() == shown(old_key)
    assert (await her.inner_text("#key-change-now")).strip() == shown(new_key)
    for image in ("#key-change-before-qr", "#key-change-now-qr"):
        assert shown(new_key if "now" in image else old_key).replace(" ", "") in (await her.get_attribute(image, "src"))
        await her.wait_for_function(f"() => document.querySelector('{image}').naturalWidth > 0")
    assert "programma" in await her.inner_text("#key-change-heading"), "in her language, Dutch"
    await fits(her, "programme-key-changed")
    assert not _holds(await _portfolio_state(her, a), "Coach B"), "no automatic grant to a coach it cannot check"

    # Her coach's browser shows the same screen.
    await _her_portfolio_as_coach(coach_a, server)
    await coach_a.wait_for_selector("#key-change:not([hidden])")
    assert (await coach_a.inner_text("#key-change-now")).strip() == shown(new_key)

    # Her recovery consent would seal her user key to a key signed with the changed programme key:
    # refused on her phone with the same screen, and nothing is sent.
    recovery_key = crypto.ProgrammeRecoveryKey.generate()
    signed = new_key.sign_record(
        crypto.ProgrammeRecoveryKeyRecord(recovery_key.public),
        organisation_id=str(world.organisation_id),
        programme_id=str(a),
        serial=1,
        issued_at=1_780_000_600,
        signed_by=str(world.admin),
    )
    await in_database(
        database_url,
        insert(ProgrammeRecoveryKey).values(
            programme_id=a,
            organisation_id=world.organisation_id,
            x25519_public=recovery_key.public,
            signed_record=signed,
            created_by=world.admin,
        ),
    )
    await her.goto(f"{server.url}/recovery/programmes/{a}/consent")
    await her.fill("#f-password", PASSWORD)
    await her.click("#consent-form button[type=submit]")
    await her.wait_for_selector("#e-form:not([hidden])", timeout=KEY_WORK_MS)
    assert "Er is niets verstuurd" in await her.inner_text("#e-form")
    assert (await her.inner_text("#key-change-now")).strip() == shown(new_key)
    consent = await her.evaluate("async (url) => (await fetch(url)).json()", f"/api/v1/recovery/programmes/{a}/consent")
    assert consent["consented"] is False, consent
    await ready(her, mine)

    # "Not the same": still nothing shared, and she is told what to do.
    await her.click("#key-change-differ")
    assert "niet hetzelfde" in await her.inner_text("#key-change-status")
    await ready(her, mine)
    assert not _holds(await _portfolio_state(her, a), "Coach B")

    # Confirmed in person with staff: the new key is pinned and Coach B gets the key.
    async with her.expect_navigation(timeout=30_000):
        await her.click("#key-change-confirm")
    await her.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    assert await her.is_hidden("#key-change")
    pin = await _pin_of(her, 3, str(a))
    assert pin is not None
    assert pin["confirmed"] is True
    assert _holds(await _portfolio_state(her, a), "Coach B")
    await ready(her, mine)
    assert await her.is_hidden("#key-change")
    assert [e for e in errors if "status of 4" not in e] == [], errors


async def test_a_coach_confirmed_in_person_on_her_portfolio_is_not_flagged_in_chat(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []
    mine = f"{server.url}/portfolio/programmes/{world.programme_a}"

    # Her phone pins Coach A's key (portfolio) and opens a conversation with her coaches.
    her = await phone_page(chromium, server, "mother.a", errors)
    await ready(her, mine)
    await her.goto(f"{server.url}/chat")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    conversation = her.url
    await her.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    assert "Coach A" in await her.inner_text("#chat-readers-summary")
    assert "Coach A" not in await her.inner_text("#chat-status")

    # Coach A's key changes: the chat flags it, as the portfolio does.
    await coach_gets_new_keys(database_url, world)
    await her.goto(conversation)
    await her.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    assert "Coach A" in await her.inner_text("#chat-status"), "a changed key is flagged in chat"

    # She compares the code with Coach A in person on her portfolio page: the same.
    await ready(her, mine)
    await her.click("#coach-checks button")
    await her.wait_for_selector("#coach-check:not([hidden])")
    await her.click("#coach-check-same")
    await her.wait_for_selector("#status.alert--success", timeout=30_000)

    # The chat takes that confirmation: Coach A is not flagged any more.
    await her.goto(conversation)
    await her.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    assert "Coach A" not in await her.inner_text("#chat-status")
    assert await her.locator("#chat-readers [data-reason=key_changed]").count() == 0
    await fits(her, "chat-after-confirm")
    assert [e for e in errors if "status of 4" not in e] == [], errors
