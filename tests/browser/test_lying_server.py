"""The server is the adversary: a fixture between her browser and the real server rewrites chosen
answers (who is a member, whose key is whose, which key is current, whether she pinned anything,
which records are signed). In each test she writes a marker in the real page; no ciphertext the
attacker can open may carry it, and she sees a warning she can understand.

What is checked is what left her browser (every request body), not what the honest server behind
happened to accept: a lie the browser believed fails the test even when the server refused it."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from eportfolio import crypto
from eportfolio.chat.tables import Message
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.domain.people import Role
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.browser import PHONE, log_in
from tests.support.live import LiveServer, in_database
from tests.support.lying import Attacker, Liar
from tests.support.signup import PASSWORD, Keyring, invitation, signed_up_member
from tests.support.trust import admin_with_programme_key
from tests.support.world import World

pytestmark = pytest.mark.browser

MARKER = "MARKER-only-for-my-coach-7c1e"
SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")  # a folder to keep screenshots in, when set


async def _seen(page: Any, name: str) -> None:
    """What she sees, kept when screenshots are asked for; and it fits a 360 px phone."""
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"lying-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"
NOW = int(datetime.now(UTC).timestamp())


class Cast:
    def __init__(self, world: World, programme_key: crypto.SigningKey, her: crypto.Identity, coach: crypto.Identity):
        self.world = world
        self.programme_key = programme_key
        self.her = her
        self.coach = coach

    def signed(self, body: Any, *, serial: int, signed_by: str | None = None) -> str:
        record = self.programme_key.sign_record(
            body, organisation_id=str(self.world.organisation_id), programme_id=str(self.world.programme_a),
            serial=serial, issued_at=NOW, signed_by=signed_by or str(self.world.admin),
        )
        return b64u_encode(record)

    def assignment(self, coach_id: str, fingerprint: bytes, *, serial: int, valid_until: int = 0,
                   signed_by: str | None = None) -> dict[str, Any]:
        body = crypto.CoachAssignment(str(self.world.participant_a), coach_id, fingerprint,
                                      crypto.CoachRole.INDIVIDUAL, 1_767_225_600, valid_until)
        return {"id": str(uuid.uuid4()), "participant_id": str(self.world.participant_a), "coach_id": coach_id,
                "kind": "individual", "starts_on": "2026-01-01", "ends_on": None, "ended_at": None,
                "signed_record": self.signed(body, serial=serial, signed_by=signed_by), "signed_by": signed_by,
                "created_at": "2026-01-01T00:00:00Z"}


async def _cast(server: LiveServer, database_url: str, world: World) -> Cast:
    """Admin (organisation key), her and her coach sign up with real keys; staff sign her coach's
    assignment with the programme key."""
    keyrings = [Keyring(server) for _ in range(3)]
    try:
        a = world.programme_a
        _, programme_key = await admin_with_programme_key(keyrings[0], database_url, world, issued_at=NOW)
        her, _ = await keyrings[1].sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "mother.a")
        coach, _ = await keyrings[2].sign_up(
            await invitation(database_url, world, world.coach_a, Role.coach, a), "coach.a")
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    cast = Cast(world, programme_key, her, coach)
    record = cast.assignment(str(world.coach_a), coach.fingerprint, serial=1)["signed_record"]
    await in_database(database_url, update(CoachAssignment).where(CoachAssignment.id == world.assignment_a)
                      .values(signed_record=record, signed_by=world.admin))
    return cast


async def _with_officer(server: LiveServer, database_url: str, world: World) -> None:
    """A recovery officer for programme A, signed up with real keys."""
    await signed_up_member(
        server, database_url, world, "Officer One", Role.recovery_officer, "officer.one", language="en"
    )


async def _her_phone(chromium: Any, server: LiveServer, liar: Liar, errors: list[str], login: str = "mother.a",
                     device: dict[str, Any] | None = None) -> Any:
    context = await chromium.new_context(**(device or PHONE))
    await liar.install(context)
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await log_in(page, server, login, PASSWORD)
    return page


async def _open_portfolio(page: Any, server: LiveServer, world: World) -> None:
    await page.goto(f"{server.url}/portfolio/programmes/{world.programme_a}")
    await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)


async def _write_marker(page: Any) -> str:
    """She writes the marker for her coaches and saves; what the page says afterwards."""
    await page.select_option("#f-new-kind", "diary")
    await page.click("#new-form button[type=submit]")
    await page.fill("#f-title", "For my coach")
    await page.fill("#f-body", MARKER)
    await page.check("input[name=audience][value=my_coaches]")
    await page.click("#editor button[type=submit]")
    await page.locator("#item-view:not([hidden]), #e-editor:not([hidden])").first.wait_for(timeout=30_000)
    said: str = await page.inner_text("body")
    return said


def _members_plus(person_id: str, role: str = "coach", *, holds: bool = False) -> Any:
    def rewrite(status: int, data: Any) -> tuple[int, Any]:
        if status != 200 or not isinstance(data, dict) or "members" not in data:
            return status, data
        member = {"person_id": person_id, "display_name": "Mallory", "role": role, "has_current_grant": holds,
                  "can_read": holds}
        return status, {**data, "members": [*data["members"], member]}
    return rewrite


def _person(attacker: Attacker, person_id: str) -> tuple[str, Any]:
    """The people route for `person_id` answered with Mallory's public identity."""
    return (rf"/api/v1/trust/programmes/[^/]+/people/{person_id}",
            lambda status, data: (200, {"person_id": person_id, "public_identity": attacker.public_identity()}))


def _append(rows: list[dict[str, Any]]) -> Any:
    return lambda status, data: (status, [*(data or []), *rows])


async def _fake_epoch(page: Any, world: World, cast: Cast, attacker: Attacker) -> tuple[str, dict[str, Any]]:
    """Her portfolio as the server has it now (asked through her page), and an epoch record and a
    grant to her that `attacker` signed, one epoch ahead of it. Returns the portfolio id and the fake."""
    mine = await page.evaluate(
        """async (p) => (await (await fetch(`/api/v1/portfolio/programmes/${p}/mine`, {method: 'POST',
        headers: {'content-type': 'application/json', 'x-csrf-token':
        document.querySelector('meta[name=csrf-token]').content}, body: '{}'})).json())""",
        str(world.programme_a),
    )
    fake = attacker.epoch_and_grant("portfolio", mine["id"], mine["epoch"] + 1,
                                    crypto.Person.from_public_identity(cast.her.public_identity()))
    return mine["id"], fake


def _epoch_is_current(liar: Liar, portfolio_id: str, fake: dict[str, Any]) -> None:
    """The server says `fake`'s epoch is her portfolio's current one."""
    liar.lie(r"/api/v1/portfolio/programmes/[^/]+/mine", lambda s, d: (s, {**d, "epoch": fake["epoch"]}), "POST")
    liar.lie(rf"/api/v1/portfolio/{portfolio_id}", lambda s, d: (s, {**d, "epoch": fake["epoch"]}))


def _serves_epoch(liar: Liar, portfolio_id: str, fake: dict[str, Any], granter_id: str,
                  record: dict[str, Any] | None = None) -> None:
    """The server lists `record` (by default `fake` itself) among her portfolio's epochs, and `fake`'s
    grant among her grants, from `granter_id`."""
    liar.lie(rf"/api/v1/portfolio/{portfolio_id}/epochs", _append([fake if record is None else record]))
    liar.lie(rf"/api/v1/portfolio/{portfolio_id}/grants/mine",
             _append([{"epoch": fake["epoch"], "grant": fake["grant"], "granter_id": granter_id}]))


async def test_an_extra_member_with_its_own_epoch_and_grant_gets_nothing(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """Attack 1: the server adds a member, an epoch record and a grant signed by that member, and
    says its epoch is current. Her browser takes no key from someone who does not count."""
    world, server = world_and_server
    cast = await _cast(server, database_url, world)
    attacker = Attacker.make()
    liar = Liar()
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    await _open_portfolio(her, server, world)  # honest first visit: epoch 1 for her and her coach
    portfolio_id, fake = await _fake_epoch(her, world, cast, attacker)

    _epoch_is_current(liar, portfolio_id, fake)
    liar.lie(r"/api/v1/portfolio/programmes/[^/]+/mine", _members_plus(attacker.user_id, holds=True), "POST")
    _serves_epoch(liar, portfolio_id, fake, attacker.user_id)
    route, answer = _person(attacker, attacker.user_id)
    liar.lie(route, answer)

    await _open_portfolio(her, server, world)
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    assert "weigerde een sleutel" in said, said
    assert "kan dit nu niet delen" in said
    assert await her.input_value("#f-body") == MARKER, "what she typed is kept"
    await _seen(her, "extra-member")
    assert errors == [], errors


@pytest.mark.parametrize("variant", ["unsigned", "expired", "self_signed"])
async def test_a_coach_without_a_valid_signed_record_gets_nothing(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, variant: str
) -> None:
    """Attacks 2 and 4: the server lists a coach of its own as a member with an unsigned
    assignment, a correctly signed one that expired last year, or one the coach signed himself
    (a staff member assigning himself). Her browser grants him nothing."""
    world, server = world_and_server
    cast = await _cast(server, database_url, world)
    attacker = Attacker.make()
    fingerprint = attacker.identity.person.fingerprint
    row = {
        "unsigned": {**cast.assignment(attacker.user_id, fingerprint, serial=5), "signed_record": None},
        "expired": cast.assignment(attacker.user_id, fingerprint, serial=5, valid_until=NOW - 86_400 * 200),
        "self_signed": cast.assignment(attacker.user_id, fingerprint, serial=5, signed_by=attacker.user_id),
    }[variant]
    liar = Liar()
    liar.lie(r"/api/v1/portfolio/programmes/[^/]+/mine", _members_plus(attacker.user_id), "POST")
    liar.lie(r"/api/v1/portfolio/[0-9a-f-]{36}", _members_plus(attacker.user_id))
    liar.lie(r"/api/v1/programmes/[^/]+/coach-assignments", _append([row]))
    route, answer = _person(attacker, attacker.user_id)
    liar.lie(route, answer)
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    await _open_portfolio(her, server, world)
    status = await her.inner_text("#status")
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    assert "Mallory" in status, "she is told Mallory's key could not be checked"
    assert "Opgeslagen" in said
    assert any("/items" in path for _m, path, _b in liar.bodies()), "her item was saved, for her real coach"
    assert errors == [], errors


@pytest.mark.parametrize("variant", ["swapped", "former"])
async def test_a_swapped_or_former_key_for_her_coach_gets_nothing(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, variant: str
) -> None:
    """The server serves its own key as her coach's, or lists it as a key her coach held before a
    reset (and signs an epoch and a grant with it). Neither is taken."""
    world, server = world_and_server
    cast = await _cast(server, database_url, world)
    attacker = Attacker.make(str(world.coach_a))
    liar = Liar()
    if variant == "swapped":
        route, answer = _person(attacker, str(world.coach_a))
        liar.lie(route, answer)
        # and the server says her coach has no key yet, to draw a grant
        liar.lie(r"/api/v1/portfolio/programmes/[^/]+/mine", _members_plus(str(uuid.uuid4()), "none"), "POST")
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    if variant == "former":
        await _open_portfolio(her, server, world)
        portfolio_id, fake = await _fake_epoch(her, world, cast, attacker)
        liar.lie(r"/api/v1/recovery/programmes/[^/]+/people/[^/]+/former-identities",
                 lambda s, d: (200, [{"public_identity": attacker.public_identity(), "vouch": None,
                                      "fingerprint": "", "superseded_at": "2026-01-01T00:00:00Z",
                                      "reason": "reset", "replaced_by": None, "vouched_by": None}]))
        _epoch_is_current(liar, portfolio_id, fake)
        _serves_epoch(liar, portfolio_id, fake, str(world.coach_a), {**fake, "created_by": str(world.coach_a)})
    await _open_portfolio(her, server, world)
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    warning = "Coach A" if variant == "swapped" else "weigerde een sleutel"
    assert warning in said, said
    assert errors == [], errors


async def test_withheld_pins_stop_every_grant_and_nothing_is_pinned_at_first_sight(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """Attack 3: her pinned-keys record is withheld (204) while the server serves a whole chain of
    its own: an organisation key, a programme certificate under it, and a coach assignment for
    Mallory signed with that programme key. Her phone pins nothing, grants nothing, and asks her
    to compare her organisation's code in person."""
    world, server = world_and_server
    cast = await _cast(server, database_url, world)
    attacker = Attacker.make()
    fake_org, fake_programme = crypto.SigningKey.generate(), crypto.SigningKey.generate()
    certificate = fake_org.sign_record(
        crypto.ProgrammeKeyCertificate(fake_programme.public), organisation_id=str(world.organisation_id),
        programme_id=str(world.programme_a), serial=1, issued_at=NOW, signed_by=str(world.admin),
    )
    fake_cast = Cast(world, fake_programme, cast.her, cast.coach)
    row = fake_cast.assignment(attacker.user_id, attacker.identity.person.fingerprint, serial=7)
    liar = Liar()
    liar.lie(r"/api/v1/pinned-keys", lambda s, d: (204, None))
    liar.lie(r"/api/v1/trust/organisation", lambda s, d: (s, {**d, "ed25519_public": b64u_encode(fake_org.public)}))
    liar.lie(r"/api/v1/trust/programmes/[0-9a-f-]{36}",
             lambda s, d: (s, {**d, "ed25519_public": b64u_encode(fake_programme.public),
                               "certificate": b64u_encode(certificate)}))
    liar.lie(r"/api/v1/portfolio/programmes/[^/]+/mine", _members_plus(attacker.user_id), "POST")
    liar.lie(r"/api/v1/portfolio/[0-9a-f-]{36}", _members_plus(attacker.user_id))
    liar.lie(r"/api/v1/programmes/[^/]+/coach-assignments", lambda s, d: (s, [row]))
    route, answer = _person(attacker, attacker.user_id)
    liar.lie(route, answer)
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    await _open_portfolio(her, server, world)
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    assert not [p for m, p, _b in liar.bodies() if p == "/api/v1/pinned-keys"], "nothing pinned at first sight"
    await her.wait_for_selector("#key-change:not([hidden])")
    assert "Controleer de code van je organisatie" in await her.inner_text("#key-change-heading")
    assert await her.is_hidden("#key-change-old"), "there is no old code to compare"
    assert "kan dit nu niet delen" in said
    await _seen(her, "pins-withheld")
    assert errors == [], errors


async def test_withheld_pins_and_a_recovery_key_of_the_servers_own_get_no_copy_of_her_user_key(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """Attack 3 on the consent page: her record withheld, and a programme recovery key of the
    server's own, signed along a chain of its own. Her user key is sealed to nothing."""
    world, server = world_and_server
    await _cast(server, database_url, world)
    await _with_officer(server, database_url, world)
    errors: list[str] = []
    admin = await _her_phone(chromium, server, Liar(), errors, "admin", {"viewport": {"width": 1280, "height": 800}})
    await admin.goto(f"{server.url}/recovery/programmes/{world.programme_a}/key")
    await admin.click("#make-recovery-key")
    await admin.wait_for_selector("#recovery-fingerprint", timeout=30_000)

    fake_org, fake_programme = crypto.SigningKey.generate(), crypto.SigningKey.generate()
    fake_recovery = crypto.ProgrammeRecoveryKey.generate()
    meta = {"organisation_id": str(world.organisation_id), "programme_id": str(world.programme_a),
            "issued_at": NOW, "signed_by": str(world.admin)}
    certificate = fake_org.sign_record(crypto.ProgrammeKeyCertificate(fake_programme.public), serial=1, **meta)
    record = fake_programme.sign_record(crypto.ProgrammeRecoveryKeyRecord(fake_recovery.public), serial=3, **meta)
    liar = Liar()
    liar.lie(r"/api/v1/pinned-keys", lambda s, d: (204, None))
    liar.lie(r"/api/v1/trust/organisation", lambda s, d: (s, {**d, "ed25519_public": b64u_encode(fake_org.public)}))
    liar.lie(r"/api/v1/trust/programmes/[0-9a-f-]{36}",
             lambda s, d: (s, {**d, "ed25519_public": b64u_encode(fake_programme.public),
                               "certificate": b64u_encode(certificate)}))
    liar.lie(r"/api/v1/recovery/programmes/[^/]+/key",
             lambda s, d: (s, {**d, "x25519_public": b64u_encode(fake_recovery.public),
                               "signed_record": b64u_encode(record)}))
    her = await _her_phone(chromium, server, liar, errors)
    await her.goto(f"{server.url}/recovery/programmes/{world.programme_a}/consent")
    await her.fill("#f-password", PASSWORD)
    await her.click("#consent-form button[type=submit]")
    await her.wait_for_selector("#key-change:not([hidden])", timeout=60_000)
    assert not [p for m, p, _b in liar.bodies() if p.endswith("/consent")], "no copy of her user key was sent"
    assert "Controleer de code van je organisatie" in await her.inner_text("#key-change-heading")
    assert errors == [], errors


async def test_an_older_pin_record_than_she_saw_is_refused(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """Attack 3, rolled back: after her phone saw revision 2 of her record (her coach pinned),
    the server serves revision 1 again (from before her coach's key was pinned) and its own key
    as her coach's. The page explains and shares nothing."""
    world, server = world_and_server
    await _cast(server, database_url, world)
    liar = Liar()
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    first = await her.evaluate("async () => (await fetch('/api/v1/pinned-keys')).json()")
    assert first["revision"] == 1
    await _open_portfolio(her, server, world)
    seen = await her.evaluate("async () => (await fetch('/api/v1/pinned-keys')).json()")
    assert seen["revision"] > 1, "her phone pinned her coach's key from the signed record"
    attacker = Attacker.make(str(world.coach_a))
    liar.lie(r"/api/v1/pinned-keys", lambda s, d: (200, first))
    route, answer = _person(attacker, str(world.coach_a))
    liar.lie(route, answer)
    await _open_portfolio(her, server, world)
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    await her.wait_for_selector("#key-change:not([hidden])")
    assert "ouder" in await her.inner_text("#key-change-explain-problem")
    assert await her.is_hidden("#key-change-compare")
    await _seen(her, "pins-rolled-back")
    assert "kan dit nu niet delen" in said
    assert errors == [], errors


async def test_a_roster_shift_that_was_never_signed_gets_no_chat_key(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """The server serves a duty roster that puts its own person on duty now, signed with its own
    key instead of the programme's. She chats; the 'on duty' reader gets no key and she is told
    the roster could not be checked."""
    world, server = world_and_server
    await _cast(server, database_url, world)
    attacker = Attacker.make()
    rogue = crypto.SigningKey.generate()
    entry = crypto.RosterEntry(attacker.user_id, attacker.identity.person.fingerprint, crypto.Duty.COACH,
                               NOW - 3600, NOW + 3600)
    forged = rogue.sign_record(
        crypto.DutyRoster(NOW - 3600, NOW + 3600, (entry,)), organisation_id=str(world.organisation_id),
        programme_id=str(world.programme_a), serial=9, issued_at=NOW, signed_by=str(world.admin),
    )
    liar = Liar()
    liar.lie(r"/api/v1/chat/programmes/[^/]+/rosters/current",
             lambda s, d: (200, {"id": str(uuid.uuid4()), "serial": 9, "signed_record": b64u_encode(forged),
                                 "shifts": [], "valid_from": "2026-01-01T00:00:00Z",
                                 "valid_until": "2027-01-01T00:00:00Z"}))
    route, answer = _person(attacker, attacker.user_id)
    liar.lie(route, answer)
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    await her.goto(f"{server.url}/chat")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    await her.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await her.fill("#chat-text", MARKER)
    await her.click("#chat-send")
    await her.wait_for_selector(".chat-msg--mine .chat-msg__state[data-state=sent]", timeout=30_000)
    assert attacker.opened(liar, MARKER) == []
    assert "rooster" in await her.inner_text("#chat-status")
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            bodies = (await uow.session.execute(select(Message.body))).scalars().all()
    finally:
        await engine.dispose()
    keys = attacker.keys_from(liar)
    assert bodies, "her message was stored"
    held = {crypto.key_id(k) for k in keys}
    assert not [b for b in bodies if b and crypto.envelope_key_id(b64u_decode(b)) in held]
    assert errors == [], errors


async def test_a_grant_to_herself_that_she_did_not_sign_gets_nothing_and_is_not_kept(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    """Her browser takes a grant signed by her own key without an epoch record, and grants the
    keys she takes from her coach to herself (docs/crypto-spec.md 6.3, "Keys she keeps"). The
    server makes a key pair under her user id and serves an epoch and a "grant to herself" signed
    with it: her browser takes no key from it, keeps nothing of it, and seals nothing under it."""
    world, server = world_and_server
    cast = await _cast(server, database_url, world)
    attacker = Attacker.make(str(world.participant_a))  # the server's own key, under her id
    liar = Liar()
    errors: list[str] = []
    her = await _her_phone(chromium, server, liar, errors)
    await _open_portfolio(her, server, world)  # honest first visit: epoch 1 for her and her coach
    portfolio_id, fake = await _fake_epoch(her, world, cast, attacker)
    _epoch_is_current(liar, portfolio_id, fake)
    _serves_epoch(liar, portfolio_id, fake, str(world.participant_a))

    await _open_portfolio(her, server, world)
    said = await _write_marker(her)
    assert attacker.opened(liar, MARKER) == []
    kept = [body for method, path, body in liar.bodies() if path.endswith("/grants/own")]
    assert all(g["epoch"] != fake["epoch"] for body in kept for g in body["grants"]), kept
    assert "weigerde een sleutel" in said, said
    assert await her.input_value("#f-body") == MARKER, "what she typed is kept"
    await _seen(her, "self-grant")
    assert errors == [], errors
