"""Portfolio test helpers: people acting through the Python keyring exactly as their browsers do.

A ``Hand`` is one person at her own browser: signed in through the real login, holding her
unlocked keys, and doing every crypto step on her side (epochs, grants, item keys, envelopes,
attachment streams). The server only ever sees what such a client sends.
"""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Membership, Person
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, Member, join
from tests.support.trust import sign_programme_key
from tests.support.world import World

PASSWORD = "a long and private passphrase"
RESOURCE = "portfolio"
COMMENTS = "portfolio-comment"


@dataclass
class Hand:
    """One person at her browser."""

    member: Member
    browser: Browser
    identity: crypto.Identity
    programme_id: uuid.UUID
    known: dict[str, crypto.Person] = field(default_factory=dict)

    @property
    def person_id(self) -> str:
        return self.member.person_id

    async def api(self, method: str, url: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.browser.api(method, url, body, **kwargs)

    async def ok(self, method: str, url: str, body: Any = None, status: int = 200) -> Any:
        answer = await self.api(method, url, body)
        assert answer.status_code == status, answer.text
        return answer.json() if answer.content else None

    async def person(self, person_id: str) -> crypto.Person:
        """Her public keys as the server serves them (a browser would compare with its pins)."""
        if person_id not in self.known:
            served = await self.ok("GET", f"/api/v1/trust/programmes/{self.programme_id}/people/{person_id}")
            self.known[person_id] = crypto.Person.from_public_identity(b64u_decode(served["public_identity"]))
        return self.known[person_id]

    # Portfolio keys ------------------------------------------------------------------------

    async def grant(self, portfolio_id: str, epoch: int, key: bytes, recipient_id: str) -> dict[str, str]:
        made = crypto.make_grant(
            self.identity, resource_type=RESOURCE, resource_id=portfolio_id, epoch=epoch, key=key,
            recipient=await self.person(recipient_id),
        )
        return {"recipient_id": recipient_id, "grant": b64u_encode(made)}

    async def new_epoch_body(
        self, portfolio_id: str, epoch: int, previous_key: bytes | None, recipients: list[str]
    ) -> tuple[bytes, dict[str, Any]]:
        made = crypto.new_epoch(
            self.identity, resource_type=RESOURCE, resource_id=portfolio_id, epoch=epoch, previous_key=previous_key
        )
        grants = [await self.grant(portfolio_id, epoch, made.key, r) for r in recipients]
        return made.key, {"epoch": epoch, "record": b64u_encode(made.record), "grants": grants}

    async def start_epoch(self, portfolio_id: str, recipients: list[str]) -> bytes:
        portfolio = await self.ok("GET", f"/api/v1/portfolio/{portfolio_id}")
        keys = await self.epoch_keys(portfolio_id) if portfolio["epoch"] else {}
        previous = keys.get(portfolio["epoch"])
        key, body = await self.new_epoch_body(portfolio_id, portfolio["epoch"] + 1, previous, recipients)
        await self.ok("POST", f"/api/v1/portfolio/{portfolio_id}/epochs", body, status=201)
        return key

    async def accepted(self, people: list[str]) -> list[bytes]:
        return [(await self.person(p)).ed25519_public for p in people]

    async def epoch_keys(self, portfolio_id: str, trusted: list[str] | None = None) -> dict[int, bytes]:
        """Every epoch key she can reach: the newest grant to her, then back along the chain."""
        trusted_people = trusted or list(self.known) or [self.person_id]
        accepted = await self.accepted([*trusted_people, self.person_id])
        grants = await self.ok("GET", f"/api/v1/portfolio/{portfolio_id}/grants/mine")
        records = {e["epoch"]: b64u_decode(e["record"]) for e in await self.ok(
            "GET", f"/api/v1/portfolio/{portfolio_id}/epochs"
        )}
        keys: dict[int, bytes] = {}
        for grant in sorted(grants, key=lambda g: g["epoch"]):
            try:
                opened, key = crypto.open_grant(b64u_decode(grant["grant"]), self.identity, accepted)
            except crypto.CryptoError:
                continue  # a grant to a key she no longer has (as her browser does: skip it)
            assert opened.resource_id == portfolio_id
            assert opened.epoch == grant["epoch"]
            keys[grant["epoch"]] = key
        if keys:
            newest = max(keys)
            for epoch in range(newest, 1, -1):
                if epoch - 1 not in keys:
                    keys[epoch - 1] = crypto.open_previous_key(records[epoch], keys[epoch], accepted)
        return keys

    # Items ---------------------------------------------------------------------------------

    async def write(
        self,
        portfolio_id: str,
        kind: str,
        content: dict[str, Any],
        *,
        audience: str = "my_coaches",
        chosen: list[str] = (),  # type: ignore[assignment]  # an empty tuple as an immutable default; it is only read
        extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        item_id = str(uuid.uuid4())
        body, item_key = await self.item_body(portfolio_id, item_id, kind, content, audience=audience, chosen=chosen)
        body.update(extra or {})
        return await self.ok("POST", f"/api/v1/portfolio/{portfolio_id}/items", body, status=201), item_key

    async def item_body(
        self,
        portfolio_id: str,
        item_id: str,
        kind: str,
        content: dict[str, Any] | bytes,
        *,
        audience: str = "my_coaches",
        chosen: list[str] = (),  # type: ignore[assignment]  # an empty tuple as an immutable default; it is only read
    ) -> tuple[dict[str, Any], bytes]:
        keys: dict[str, Any] = {}
        if audience == "my_coaches":
            portfolio = await self.ok("GET", f"/api/v1/portfolio/{portfolio_id}")
            epoch = portfolio["epoch"]
            target = crypto.Audience.coaches((await self.epoch_keys(portfolio_id))[epoch])
        elif audience == "chosen":
            target = crypto.Audience.chosen([await self.person(p) for p in chosen])
        else:
            target = crypto.Audience.only_me()
        plaintext = content if isinstance(content, bytes) else json.dumps(content).encode()
        sealed = crypto.encrypt_item(
            self.identity, target, resource_type=RESOURCE, resource_id=portfolio_id, item_id=item_id,
            revision=1, plaintext=plaintext,
        )
        if audience == "my_coaches":
            keys = {"epoch": epoch, "epoch_wrap": b64u_encode(sealed.wraps[0])}
        else:
            keys = {"user_wrap": b64u_encode(sealed.wraps[0])}
            if audience == "chosen":
                keys["grants"] = [
                    {"recipient_id": p, "grant": b64u_encode(g)} for p, g in zip(chosen, sealed.grants, strict=True)
                ]
        body = {
            "id": item_id,
            "kind": kind,
            "audience": audience,
            "key_id": b64u_encode(sealed.item_key_id),
            "envelope": b64u_encode(sealed.envelope),
            "keys": keys,
        }
        return body, sealed.item_key

    async def item_key(self, item: dict[str, Any], people: list[str]) -> bytes:
        key_id = b64u_decode(item["key_id"])
        for copy in item["keys"]:
            wrap = b64u_decode(copy["blob"])
            if copy["kind"] == "user":
                return crypto.unwrap_item_key(wrap, self.identity.user_key, key_id)
            if copy["kind"] == "epoch":
                keys = await self.epoch_keys(item["portfolio_id"], people)
                return crypto.unwrap_item_key(wrap, keys[copy["epoch"]], key_id)
            if copy["kind"] == "grant" and copy["recipient_id"] == self.person_id:
                _grant, key = crypto.open_grant(wrap, self.identity, await self.accepted(people))
                return key
        raise AssertionError("no key copy for me")

    async def read(self, item: dict[str, Any], people: list[str]) -> tuple[bytes, bytes]:
        """(plaintext, item key) of an item as served, checked against what it claims to be."""
        key = await self.item_key(item, people)
        context = crypto.ItemContext(
            RESOURCE, item["portfolio_id"], item["id"], item["revision"], await self.person(item["author_id"])
        )
        return crypto.open_envelope(b64u_decode(item["envelope"]), key, context), key

    async def read_json(self, item: dict[str, Any], people: list[str]) -> dict[str, Any]:
        plaintext, _ = await self.read(item, people)
        result: dict[str, Any] = json.loads(plaintext)
        return result

    def revise(self, item: dict[str, Any], key: bytes, content: dict[str, Any], base: int) -> dict[str, Any]:
        envelope = crypto.seal_envelope(
            self.identity, key, resource_type=RESOURCE, resource_id=item["portfolio_id"], item_id=item["id"],
            revision=base + 1, plaintext=json.dumps(content).encode(),
        )
        return {"base_revision": base, "envelope": b64u_encode(envelope)}

    def comment_body(self, item: dict[str, Any], key: bytes, text: str) -> dict[str, Any]:
        comment_id = str(uuid.uuid4())
        envelope = crypto.seal_envelope(
            self.identity, key, resource_type=COMMENTS, resource_id=item["id"], item_id=comment_id,
            revision=0, plaintext=text.encode(),
        )
        return {"id": comment_id, "key_id": item["key_id"], "envelope": b64u_encode(envelope)}

    async def read_comment(self, comment: dict[str, Any], key: bytes) -> str:
        context = crypto.ItemContext(
            COMMENTS, comment["item_id"], comment["id"], 0, await self.person(comment["author_id"])
        )
        return crypto.open_envelope(b64u_decode(comment["envelope"]), key, context).decode()


@dataclass
class Cast:
    """Her, her coaches and the staff of programme A, each signed up and at her own browser."""

    app: FastAPI
    world: World
    programme_key: crypto.SigningKey
    her: Hand
    coach: Hand
    staff: Hand
    stack: AsyncExitStack
    portfolio_id: str = ""

    async def hand(self, member: Member) -> Hand:
        browser = await self.stack.enter_async_context(Browser(self.app))
        identity = await KeyringClient(browser).login(member.login, member.password)
        return Hand(member, browser, identity, self.world.programme_a)

    async def new_coach(self, name: str, login: str) -> Hand:
        async with unit_of_work(self.app.state.sessionmaker) as uow:
            person = Person(organisation_id=self.world.organisation_id, display_name=name, language="nl")
            uow.session.add(person)
            await uow.flush()
            uow.session.add(
                Membership(
                    organisation_id=self.world.organisation_id, programme_id=self.world.programme_a,
                    person_id=person.id, role="coach", coach_kind="individual",
                )
            )
            person_id = person.id
        member = await join(self.app, person_id, "coach", login, PASSWORD, self.world.programme_a)
        return await self.hand(member)

    def signed_assignment(self, coach: Hand, serial: int) -> str:
        record = self.programme_key.sign_record(
            crypto.CoachAssignment(
                participant_id=self.her.person_id, coach_id=coach.person_id,
                coach_fingerprint=coach.identity.fingerprint, role=crypto.CoachRole.INDIVIDUAL,
                valid_from=1_767_225_600, valid_until=0,
            ),
            organisation_id=str(self.world.organisation_id), programme_id=str(self.world.programme_a),
            serial=serial, issued_at=1_780_000_000, signed_by=self.staff.person_id,
        )
        return b64u_encode(record)

    async def assign(self, coach: Hand, serial: int) -> str:
        """Staff assign a coach with a record signed by the programme key (in the staff browser)."""
        created = await self.staff.ok(
            "POST", f"/api/v1/programmes/{self.world.programme_a}/coach-assignments",
            {
                "participant_id": self.her.person_id, "coach_id": coach.person_id, "kind": "individual",
                "starts_on": "2026-01-01", "signed_record": self.signed_assignment(coach, serial),
            },
            status=201,
        )
        return str(created["id"])

    async def end_assignment(self, assignment_id: str) -> None:
        await self.staff.ok(
            "POST", f"/api/v1/programmes/{self.world.programme_a}/coach-assignments/{assignment_id}/end"
        )

    def people(self, *hands: Hand) -> list[str]:
        return [h.person_id for h in hands]


async def make_cast(app: FastAPI, world: World, stack: AsyncExitStack) -> Cast:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    staff = await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    her = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    coach = await join(app, world.coach_a, "coach", "coach.a", PASSWORD, world.programme_a)
    # The programme key, certified by the organisation key, as an admin's browser registers it:
    # the server checks coach assignment records against it before it stores them.
    async with Browser(app) as admin_browser:
        await KeyringClient(admin_browser).login("admin", PASSWORD)
        programme_key = await sign_programme_key(admin, admin_browser, world)
    cast = Cast(app, world, programme_key, None, None, None, stack)  # type: ignore[arg-type]  # the parts this cast does not use stay None
    cast.her, cast.coach, cast.staff = await cast.hand(her), await cast.hand(coach), await cast.hand(staff)
    # The world's assignment of Coach A becomes one that staff signed with the programme key.
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(CoachAssignment, world.assignment_a)
        assert row is not None
        row.signed_record = cast.signed_assignment(cast.coach, 1)
        row.signed_by = world.staff_a
        row.starts_on = date(2026, 1, 1)
    opened = await cast.her.ok("POST", f"/api/v1/portfolio/programmes/{world.programme_a}/mine")
    cast.portfolio_id = opened["id"]
    return cast
