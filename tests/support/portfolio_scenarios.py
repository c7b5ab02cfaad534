"""Access-log scenarios of the portfolio: each personal-data service of ``eportfolio.portfolio.service``.

Each scenario builds what it needs in the same unit of work (accounts with real keys for her and
Coach A, Coach A's assignment marked as signed by Staff A, her portfolio with a first key epoch, an item),
then calls the service once as the scenario's actor.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from tempfile import gettempdir

from sqlalchemy import update

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.crypto import b64u_encode
from eportfolio.domain.portfolio import (
    AttachmentCreate,
    CommentCreate,
    EpochCreate,
    GrantCreate,
    ItemCreate,
    ItemKeyCopy,
    ItemKind,
    ItemUpdate,
    OwnGrant,
    PinnedKeysWrite,
)
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from eportfolio.portfolio import service as portfolio
from eportfolio.programmes.tables import CoachAssignment
from tests.support.access_scenarios import scenario
from tests.support.world import World

S = "eportfolio.portfolio.service."
BLOBS = Path(gettempdir()) / "eportfolio-access-scenarios"


@dataclass
class Setting:
    portfolio_id: uuid.UUID
    her: crypto.Identity
    coach: crypto.Identity
    epoch_key: bytes
    item_id: uuid.UUID
    item_key: bytes


def _her(w: World, caller: Caller) -> Caller:
    """Her as a caller: the scenario's own caller when she is the actor (same session)."""
    if caller.person_id == w.participant_a:
        return caller
    return Caller(person_id=w.participant_a, organisation_id=w.organisation_id, session_id=None)


def _account(uow: UnitOfWork, person_id: uuid.UUID, login: str) -> crypto.Identity:
    made = crypto.Identity.create(
        login, "a password for the walk", user_id=str(person_id),
        params=crypto.KdfParams.new(8, 1, 1), allow_test_params=True,
    )
    uow.session.add(
        Account(
            person_id=person_id, login=login, salt_seed=b"\x00" * 16, kdf_params={}, auth_hash="-",
            key_bundle=made.bundle, public_identity=made.public_identity,
        )
    )
    return made.identity


def _grant(granter: crypto.Identity, portfolio_id: uuid.UUID, key: bytes, to: crypto.Identity) -> GrantCreate:
    made = crypto.make_grant(
        granter, resource_type="portfolio", resource_id=str(portfolio_id), epoch=1, key=key, recipient=to.person
    )
    return GrantCreate(recipient_id=uuid.UUID(to.user_id), grant=b64u_encode(made))


async def _setting(uow: UnitOfWork, caller: Caller, w: World, kind: ItemKind = ItemKind.goal_plan) -> Setting:
    her_keys = _account(uow, w.participant_a, "walk.mother")
    coach_keys = _account(uow, w.coach_a, "walk.coach")
    await uow.session.execute(
        update(CoachAssignment)
        .where(CoachAssignment.id == w.assignment_a)
        .values(signed_record="signed-by-staff", signed_by=w.staff_a)
    )
    await uow.flush()
    her = _her(w, caller)
    opened = await portfolio.open_my_portfolio(uow, her, w.programme_a)
    epoch = crypto.new_epoch(
        her_keys, resource_type="portfolio", resource_id=str(opened.id), epoch=1, previous_key=None
    )
    grants = [_grant(her_keys, opened.id, epoch.key, to) for to in (her_keys, coach_keys)]
    await portfolio.create_epoch(
        uow, her, opened.id, EpochCreate(epoch=1, record=b64u_encode(epoch.record), grants=grants)
    )
    item_id = uuid.uuid4()
    sealed = crypto.encrypt_item(
        her_keys, crypto.Audience.coaches(epoch.key), resource_type="portfolio", resource_id=str(opened.id),
        item_id=str(item_id), revision=1, plaintext=b"{}",
    )
    await portfolio.create_item(
        uow, her, opened.id,
        ItemCreate(
            id=item_id, kind=kind, key_id=b64u_encode(sealed.item_key_id), envelope=b64u_encode(sealed.envelope),
            keys=ItemKeyCopy(epoch=1, epoch_wrap=b64u_encode(sealed.wraps[0])),
        ),
    )
    return Setting(opened.id, her_keys, coach_keys, epoch.key, item_id, sealed.item_key)


def _revision(author: crypto.Identity, s: Setting) -> ItemUpdate:
    envelope = crypto.seal_envelope(
        author, s.item_key, resource_type="portfolio", resource_id=str(s.portfolio_id), item_id=str(s.item_id),
        revision=2, plaintext=b'{"steps": []}',
    )
    return ItemUpdate(base_revision=1, envelope=b64u_encode(envelope))


async def _with_attachment(uow: UnitOfWork, caller: Caller, w: World) -> tuple[Setting, list[bytes]]:
    s = await _setting(uow, caller, w, ItemKind.photo)
    _salt, parts = crypto.encrypt_attachment(s.item_key, [b"a photo"])
    size = sum(len(p) for p in parts)
    sha256 = hashlib.sha256(b"".join(parts)).hexdigest()
    await portfolio.create_attachment(uow, _her(w, caller), s.item_id, AttachmentCreate(size=size, sha256=sha256))
    return s, parts


@scenario(S + "open_my_portfolio", lambda w: w.participant_a)
async def _open_my_portfolio(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.open_my_portfolio(uow, caller, w.programme_a)


@scenario(S + "list_portfolios", lambda w: w.coach_a)
async def _list_portfolios(uow: UnitOfWork, caller: Caller, w: World) -> object:
    await _setting(uow, caller, w)
    return await portfolio.list_portfolios(uow, caller, w.programme_a)


@scenario(S + "get_portfolio", lambda w: w.coach_a)
async def _get_portfolio(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.get_portfolio(uow, caller, (await _setting(uow, caller, w)).portfolio_id)


@scenario(S + "create_epoch", lambda w: w.coach_a)
async def _create_epoch(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    made = crypto.new_epoch(
        s.coach, resource_type="portfolio", resource_id=str(s.portfolio_id), epoch=2, previous_key=s.epoch_key
    )
    grant = crypto.make_grant(
        s.coach, resource_type="portfolio", resource_id=str(s.portfolio_id), epoch=2, key=made.key,
        recipient=s.her.person,
    )
    data = EpochCreate(
        epoch=2, record=b64u_encode(made.record),
        grants=[GrantCreate(recipient_id=w.participant_a, grant=b64u_encode(grant))],
    )
    return await portfolio.create_epoch(uow, caller, s.portfolio_id, data)


@scenario(S + "add_grants", lambda w: w.participant_a)
async def _add_grants(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    grants = [_grant(s.her, s.portfolio_id, s.epoch_key, s.coach)]
    return await portfolio.add_grants(uow, caller, s.portfolio_id, 1, grants)


@scenario(S + "keep_own_grants", lambda w: w.participant_a)
async def _keep_own_grants(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    own = OwnGrant(epoch=1, grant=_grant(s.her, s.portfolio_id, s.epoch_key, s.her).grant)
    return await portfolio.keep_own_grants(uow, caller, s.portfolio_id, [own])


@scenario(S + "my_grants", lambda w: w.coach_a)
async def _my_grants(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.my_grants(uow, caller, (await _setting(uow, caller, w)).portfolio_id)


@scenario(S + "list_epochs", lambda w: w.coach_a)
async def _list_epochs(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.list_epochs(uow, caller, (await _setting(uow, caller, w)).portfolio_id)


@scenario(S + "create_item", lambda w: w.participant_a)
async def _create_item(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await _setting(uow, caller, w)


@scenario(S + "update_item", lambda w: w.coach_a)
async def _update_item(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    return await portfolio.update_item(uow, caller, s.item_id, _revision(s.coach, s))


@scenario(S + "list_items", lambda w: w.coach_a)
async def _list_items(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.list_items(uow, caller, (await _setting(uow, caller, w)).portfolio_id)


@scenario(S + "get_item", lambda w: w.coach_a)
async def _get_item(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.get_item(uow, caller, (await _setting(uow, caller, w)).item_id)


@scenario(S + "delete_item", lambda w: w.participant_a)
async def _delete_item(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s, _ = await _with_attachment(uow, caller, w)
    return await portfolio.delete_item(uow, caller, s.item_id, BLOBS)


@scenario(S + "create_comment", lambda w: w.coach_a)
async def _create_comment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    comment_id = uuid.uuid4()
    envelope = crypto.seal_envelope(
        s.coach, s.item_key, resource_type="portfolio-comment", resource_id=str(s.item_id),
        item_id=str(comment_id), revision=0, plaintext=b"Well done",
    )
    data = CommentCreate(id=comment_id, key_id=b64u_encode(crypto.envelope_key_id(envelope)),
                         envelope=b64u_encode(envelope))
    return await portfolio.create_comment(uow, caller, s.item_id, data)


@scenario(S + "list_comments", lambda w: w.participant_a)
async def _list_comments(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.list_comments(uow, caller, (await _setting(uow, caller, w)).item_id)


@scenario(S + "create_attachment", lambda w: w.participant_a)
async def _create_attachment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await _with_attachment(uow, caller, w)


@scenario(S + "put_part", lambda w: w.participant_a)
async def _put_part(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s, parts = await _with_attachment(uow, caller, w)
    BLOBS.mkdir(exist_ok=True)
    return await portfolio.put_part(uow, caller, s.item_id, 0, parts[0], BLOBS)


@scenario(S + "attachment_status", lambda w: w.coach_a)
async def _attachment_status(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s, _ = await _with_attachment(uow, caller, w)
    return await portfolio.attachment_status(uow, caller, s.item_id)


@scenario(S + "attachment_file", lambda w: w.coach_a)
async def _attachment_file(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s, parts = await _with_attachment(uow, caller, w)
    for index, part in enumerate(parts):
        await portfolio.put_part(uow, _her(w, caller), s.item_id, index, part, BLOBS)
    path, _size = await portfolio.attachment_file(uow, caller, s.item_id, BLOBS)
    os.remove(path)
    return path


@scenario(S + "attachment_proof", lambda w: w.participant_a)
async def _attachment_proof(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s, parts = await _with_attachment(uow, caller, w)
    for index, part in enumerate(parts):
        await portfolio.put_part(uow, caller, s.item_id, index, part, BLOBS)
    proof = await portfolio.attachment_proof(uow, caller, s.item_id, b"c" * 16, BLOBS)
    path, _size = await portfolio.attachment_file(uow, caller, s.item_id, BLOBS)
    os.remove(path)
    return proof


@scenario(S + "quota", lambda w: w.participant_a)
async def _quota(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.quota(uow, caller, (await _setting(uow, caller, w)).portfolio_id)


@scenario(S + "get_pinned_keys", lambda w: w.coach_a)
async def _get_pinned_keys(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await portfolio.get_pinned_keys(uow, caller)


@scenario(S + "put_pinned_keys", lambda w: w.participant_a)
async def _put_pinned_keys(uow: UnitOfWork, caller: Caller, w: World) -> object:
    s = await _setting(uow, caller, w)
    record = crypto.seal_pinned_keys(s.her, 1, [])
    return await portfolio.put_pinned_keys(uow, caller, PinnedKeysWrite(revision=1, record=b64u_encode(record)))
