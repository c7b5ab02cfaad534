"""A coach whose keys change (a new device or a reset), for tests of what she must confirm before sharing again."""

from __future__ import annotations

from sqlalchemy import select

from eportfolio import crypto
from eportfolio.accounts.hashing import SecretHasher
from eportfolio.accounts.tables import Account
from eportfolio.crypto.kdf import AUTH_LOGIN, AUTH_RECOVERY
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from tests.support.signup import PASSWORD
from tests.support.world import World


async def coach_gets_new_keys(database_url: str, world: World) -> str:
    """Coach A's account gets new keys (same login and password); returns the new fingerprint."""
    made = crypto.Identity.create("coach.a", PASSWORD, user_id=str(world.coach_a))
    bundle = crypto.KeyBundle.from_bytes(made.bundle)
    hasher = SecretHasher()
    kind, login_secret = crypto.parse_auth_proof(made.auth_proof)
    assert kind == AUTH_LOGIN
    kind, recovery_secret = crypto.parse_auth_proof(made.recovery_auth_proof)
    assert kind == AUTH_RECOVERY
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            account = (await uow.session.execute(
                select(Account).where(Account.person_id == world.coach_a))).scalar_one()
            account.key_bundle = made.bundle
            account.public_identity = made.public_identity
            account.auth_hash = await hasher.hash(login_secret)
            account.recovery_hash = await hasher.hash(recovery_secret)
            account.salt_seed = bundle.params.seed
            account.kdf_params = {"algorithm": "argon2id", "memory_kib": bundle.params.memory_kib,
                                  "iterations": bundle.params.iterations, "parallelism": bundle.params.parallelism}
    finally:
        await engine.dispose()
    fingerprint: str = made.identity.person.fingerprint_text
    return fingerprint
