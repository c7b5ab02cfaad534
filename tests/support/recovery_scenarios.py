"""Access-log scenarios of the recovery feature (registered in access_scenarios)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from eportfolio import crypto
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork
from tests.support.access_scenarios import scenario
from tests.support.world import World

R = "eportfolio.recovery.service."


def _box(purpose: int) -> str:
    return crypto.b64u_encode(bytes([0x01, 0x03, purpose]) + os.urandom(80))


def _identity(person_id: uuid.UUID, login: str) -> crypto.SignUp:
    return crypto.Identity.create(
        login, "a long test password", user_id=str(person_id), params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    )


async def _her_account(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.accounts.tables import Account

    made = _identity(w.participant_a, "mother.a")
    uow.session.add(Account(
        person_id=w.participant_a, login="mother.a", salt_seed=b"\x00" * 16, kdf_params={}, auth_hash="-",
        key_bundle=made.bundle, public_identity=made.public_identity,
    ))
    return None


async def _her_account_and_recovery_key(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery.tables import ProgrammeRecoveryKey

    await _her_account(uow, caller, w)
    uow.session.add(ProgrammeRecoveryKey(
        programme_id=w.programme_a, organisation_id=w.organisation_id, x25519_public=os.urandom(32),
        signed_record=b"-", created_by=w.staff_a,
    ))
    return None


async def _her_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery.tables import RecoveryConsent

    uow.session.add(RecoveryConsent(
        person_id=w.participant_a, programme_id=w.programme_a, organisation_id=w.organisation_id,
        user_key_id=os.urandom(16), sealed_user_key=os.urandom(83),
    ))
    return None


async def _officer_with_a_waiting_device(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.programmes.tables import Membership
    from eportfolio.recovery.tables import DeviceRequest, RecoveryOfficerCopy

    uow.session.add(Membership(
        organisation_id=w.organisation_id, programme_id=w.programme_a, person_id=w.supervisor_a,
        role="recovery_officer",
    ))
    await _her_consent(uow, caller, w)
    uow.session.add(RecoveryOfficerCopy(
        organisation_id=w.organisation_id, programme_id=w.programme_a, holder_id=w.supervisor_a,
        sealed_box=os.urandom(83), created_by=w.staff_a,
    ))
    now = utcnow()
    uow.session.add(DeviceRequest(
        id=uuid.UUID(int=7), organisation_id=w.organisation_id, person_id=w.participant_a,
        token_hash=os.urandom(32), device_public=os.urandom(32), created_at=now,
        expires_at=now + timedelta(hours=1),
    ))
    return None


@scenario(R + "my_consent", lambda w: w.participant_a)
async def _my_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery import service

    return await service.my_consent(uow, caller, w.programme_a)


@scenario(R + "give_consent", lambda w: w.participant_a, setup=_her_account_and_recovery_key)
async def _give_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.recovery import ConsentCreate
    from eportfolio.recovery import service

    return await service.give_consent(uow, caller, w.programme_a, ConsentCreate(sealed_user_key=_box(0x02)))


# Her account with real secrets and her consent, for withdrawing it with a new user key.
_PASSWORD = "a long test password"
_MADE: dict[uuid.UUID, crypto.SignUp] = {}


async def _her_account_and_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.accounts.hashing import SecretHasher
    from eportfolio.accounts.tables import Account
    from eportfolio.recovery.tables import RecoveryConsent

    made = _MADE[w.participant_a] = _identity(w.participant_a, "mother.a")
    hasher = SecretHasher()
    params = crypto.KeyBundle.from_bytes(made.bundle).params
    uow.session.add(Account(
        person_id=w.participant_a, login="mother.a", salt_seed=params.seed, kdf_params={},
        auth_hash=await hasher.hash(crypto.parse_auth_proof(made.auth_proof)[1]),
        recovery_hash=await hasher.hash(crypto.parse_auth_proof(made.recovery_auth_proof)[1]),
        key_bundle=made.bundle, public_identity=made.public_identity,
    ))
    uow.session.add(RecoveryConsent(
        person_id=w.participant_a, programme_id=w.programme_a, organisation_id=w.organisation_id,
        user_key_id=made.identity.user_key_id, sealed_user_key=os.urandom(83),
    ))
    return None


@scenario(R + "rotation_plan", lambda w: w.participant_a, setup=_her_account_and_consent)
async def _rotation_plan(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery import service

    return await service.rotation_plan(uow, caller)


@scenario(R + "withdraw_consent", lambda w: w.participant_a, setup=_her_account_and_consent)
async def _withdraw_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.accounts.hashing import SecretHasher
    from eportfolio.accounts.service import Client, LoginFailed
    from eportfolio.config import Settings
    from eportfolio.domain.recovery import ConsentWithdrawal
    from eportfolio.recovery import service

    made = _MADE[w.participant_a]
    secrets = crypto.derive_login_secrets(
        "mother.a", _PASSWORD, crypto.KeyBundle.from_bytes(made.bundle).params, allow_test_params=True
    )
    rotation = made.identity.rotate_user_key(secrets, recovery_code=made.recovery_code.text)
    settings = Settings(env="test", database_url="sqlite+aiosqlite://", secret_key="scenario-" + "x" * 40)
    client = Client(settings=settings, hasher=SecretHasher(), address="scenario")
    answer = await service.withdraw_consent(uow, client, caller, w.programme_a, ConsentWithdrawal(
        old_user_key_id=crypto.b64u_encode(made.identity.user_key_id),
        current_auth_proof=crypto.b64u_encode(secrets.auth_proof()),
        key_bundle=crypto.b64u_encode(rotation.bundle),
        recovery_proof=crypto.b64u_encode(rotation.recovery_auth_proof),
    ))
    assert not isinstance(answer, LoginFailed)
    return answer


@scenario(R + "pending_recoveries", lambda w: w.supervisor_a, setup=_officer_with_a_waiting_device)
async def _pending_recoveries(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery import service

    return await service.pending_recoveries(uow, caller, w.programme_a)


@scenario(R + "reseal_to_device", lambda w: w.supervisor_a, setup=_officer_with_a_waiting_device)
async def _reseal_to_device(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.recovery import ResealRequest
    from eportfolio.recovery import service

    return await service.reseal_to_device(
        uow, caller, w.programme_a, uuid.UUID(int=7), ResealRequest(sealed_user_key=_box(0x03), identity_checked=True)
    )


@scenario(R + "create_account_reset", lambda w: w.staff_a, setup=_her_account)
async def _create_account_reset(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery import service

    return await service.create_account_reset(uow, caller, w.programme_a, w.participant_a)


@scenario(R + "former_identities", lambda w: w.coach_a, setup=_her_account)
async def _former_identities(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.recovery import service

    return await service.former_identities(uow, caller, w.programme_a, w.participant_a)


_VOUCH: dict[str, bytes] = {}


async def _her_reset_and_her_coach(uow: UnitOfWork, caller: Caller, w: World) -> object:
    """Her former identity, her new keys, and her coach's account; the coach's signed vouch ready."""
    from sqlalchemy import update

    from eportfolio.accounts.tables import Account
    from eportfolio.programmes.tables import CoachAssignment
    from eportfolio.recovery.tables import FormerIdentity

    former, her = _identity(w.participant_a, "mother.a"), _identity(w.participant_a, "mother.a")
    coach = _identity(w.coach_a, "coach.a")
    for person_id, login, made in ((w.participant_a, "mother.a", her), (w.coach_a, "coach.a", coach)):
        uow.session.add(Account(
            person_id=person_id, login=login, salt_seed=b"\x00" * 16, kdf_params={}, auth_hash="-",
            key_bundle=made.bundle, public_identity=made.public_identity,
        ))

    uow.session.add(FormerIdentity(
        organisation_id=w.organisation_id, person_id=w.participant_a, public_identity=former.public_identity,
        reason="coach_assisted", replaced_by=w.staff_a,
    ))
    # Her coach's assignment counts: a record Staff A signed is stored with it.
    await uow.session.execute(
        update(CoachAssignment)
        .where(CoachAssignment.id == w.assignment_a)
        .values(signed_record="signed-by-staff", signed_by=w.staff_a)
    )
    _VOUCH["vouch"] = crypto.make_vouch(
        coach.identity, subject=her.identity.person, former=former.identity.person, vouched_at=1_780_000_000
    )
    return None


@scenario(R + "vouch", lambda w: w.coach_a, setup=_her_reset_and_her_coach)
async def _vouch(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.recovery import VouchCreate
    from eportfolio.recovery import service

    data = VouchCreate(vouch=crypto.b64u_encode(_VOUCH["vouch"]))
    return await service.vouch(uow, caller, w.programme_a, w.participant_a, data)
