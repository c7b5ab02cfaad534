"""The Python keyring as features, the demo loader and test clients use it: CRYPTO.md's journeys."""

from __future__ import annotations

import pytest

from eportfolio import crypto as c

TEST = {"allow_test_params": True}


PASSWORD = "een goed wachtwoord"


def sign_up(login: str, user_id: str) -> c.SignUp:
    return c.Identity.create(login, PASSWORD, user_id=user_id, params=c.KdfParams.new(8, 1, 1), **TEST)


def test_sign_up_login_password_change_and_recovery_keep_the_same_user_key() -> None:
    signup = sign_up("Mama.Noor", "p1")
    mama = signup.identity
    assert mama.login == "mama.noor"
    assert c.parse_auth_proof(signup.auth_proof)[0] == 1
    assert c.parse_auth_proof(signup.recovery_auth_proof)[0] == 2

    again = c.Identity.unlock(signup.bundle, "MAMA.NOOR", "een goed wachtwoord", user_id="p1", **TEST)
    assert again.user_key == mama.user_key

    change = again.change_password("nieuw wachtwoord", params=c.KdfParams.new(16, 2, 1), **TEST)
    with pytest.raises(c.CryptoError):
        c.Identity.unlock(change.bundle, "mama.noor", "een goed wachtwoord", user_id="p1", **TEST)
    after = c.Identity.unlock(change.bundle, "mama.noor", "nieuw wachtwoord", user_id="p1", **TEST)
    assert after.user_key == mama.user_key

    recovered = c.Identity.recover(change.bundle, signup.recovery_code.text, user_id="p1", login="mama.noor")
    reset = recovered.change_password("na herstel", params=c.KdfParams.new(8, 1, 1), **TEST)
    assert c.Identity.unlock(reset.bundle, "mama.noor", "na herstel", user_id="p1", **TEST).user_key == (mama.user_key)

    bundle, code = recovered.new_recovery_code()
    with pytest.raises(c.CryptoError):
        c.Identity.recover(bundle, signup.recovery_code.text, user_id="p1", login="mama.noor")
    assert c.Identity.recover(bundle, code.text, user_id="p1", login="mama.noor").user_key == (mama.user_key)


def test_the_default_parameters_are_the_minimum_and_lower_ones_are_refused() -> None:
    params = c.KdfParams.new()
    assert (params.memory_kib, params.iterations, params.parallelism) == (65536, 3, 1)
    with pytest.raises(c.CryptoError):
        c.Identity.create("mama.noor", "pw", user_id="p", params=c.KdfParams.new(8, 1, 1))
    signup = c.Identity.create("mama.noor", "een wachtwoord", user_id="p", params=params)
    assert c.KeyBundle.from_bytes(signup.bundle).params == params


def test_a_coach_reads_history_after_a_signed_assignment_and_a_grant() -> None:
    mama = sign_up("mama.noor", "p1").identity
    coach = sign_up("coach.sanne", "c1").identity
    organisation, programme = c.SigningKey.generate(), c.SigningKey.generate()
    common = {"organisation_id": "o1", "programme_id": "prog", "issued_at": 1767225600, "signed_by": "s1"}
    certificate = organisation.sign_record(c.ProgrammeKeyCertificate(programme.public), serial=1, **common)
    assignment = programme.sign_record(
        c.CoachAssignment("p1", "c1", coach.fingerprint, c.CoachRole.INDIVIDUAL, 0, 0),
        serial=1,
        **common,
    )
    programme_key = c.verify_programme_key(certificate, organisation.public, "prog")
    record = c.verify_record(assignment, programme_key, c.RecordKind.COACH_ASSIGNMENT)
    published = c.Person.from_public_identity(coach.public_identity())
    assert isinstance(record.body, c.CoachAssignment)
    assert record.body.coach_fingerprint == published.fingerprint

    first = c.new_epoch(mama, resource_type="portfolio", resource_id="pf1", epoch=1, previous_key=None)
    entry = c.encrypt_item(
        mama,
        c.Audience.coaches(first.key),
        resource_type="portfolio-entry",
        resource_id="pf1",
        item_id="e1",
        revision=1,
        plaintext=b"mijn eerste stap",
    )
    second = c.new_epoch(mama, resource_type="portfolio", resource_id="pf1", epoch=2, previous_key=first.key)
    grant = c.make_grant(
        mama, resource_type="portfolio", resource_id="pf1", epoch=2, key=second.key, recipient=published
    )

    _grant, key = c.open_grant(grant, coach, [mama.person.ed25519_public])
    previous = c.open_previous_key(second.record, key, [mama.person.ed25519_public])
    item_key = c.unwrap_item_key(entry.wraps[0], previous, entry.item_key_id)
    context = c.ItemContext("portfolio-entry", "pf1", "e1", 1, mama.person)
    assert c.open_envelope(entry.envelope, item_key, context) == b"mijn eerste stap"


def test_a_new_revision_keeps_the_item_key_and_the_old_revision_is_stale() -> None:
    mama = sign_up("mama.noor", "p1").identity
    one = c.encrypt_item(
        mama,
        c.Audience.only_me(),
        resource_type="goal-plan",
        resource_id="pf1",
        item_id="g1",
        revision=1,
        plaintext=b"stap 1",
    )
    two = c.encrypt_item(
        mama,
        c.Audience.only_me(),
        resource_type="goal-plan",
        resource_id="pf1",
        item_id="g1",
        revision=2,
        plaintext=b"stap 1 en 2",
        item_key=one.item_key,
    )
    assert two.item_key_id == one.item_key_id
    current = c.ItemContext("goal-plan", "pf1", "g1", 2, mama.person)
    assert c.open_envelope(two.envelope, one.item_key, current) == b"stap 1 en 2"
    with pytest.raises(c.CryptoError):
        c.open_envelope(one.envelope, one.item_key, current)


def test_only_me_items_need_her_user_key_and_chosen_people_get_grants() -> None:
    mama = sign_up("mama.noor", "p1").identity
    coach = sign_up("coach.sanne", "c1").identity
    budget = sign_up("budget.karim", "b1").identity
    diary = c.encrypt_item(
        mama,
        c.Audience.only_me(),
        resource_type="diary",
        resource_id="pf1",
        item_id="d1",
        revision=1,
        plaintext=b"alleen voor mij",
    )
    assert diary.grants == ()
    with pytest.raises(c.CryptoError):
        c.unwrap_item_key(diary.wraps[0], coach.user_key, diary.item_key_id)
    assert c.unwrap_item_key(diary.wraps[0], mama.user_key, diary.item_key_id) == diary.item_key

    shared = c.encrypt_item(
        mama,
        c.Audience.chosen([budget.person]),
        resource_type="budget",
        resource_id="pf1",
        item_id="b1",
        revision=1,
        plaintext=b"schulden",
    )
    _grant, key = c.open_grant(shared.grants[0], budget, [mama.person.ed25519_public])
    assert key == shared.item_key
    with pytest.raises(c.CryptoError):
        c.open_grant(shared.grants[0], coach, [mama.person.ed25519_public])


def test_programme_recovery_reaches_a_new_device_and_a_new_password() -> None:
    signup = sign_up("mama.noor", "p1")
    mama = signup.identity
    officer = sign_up("officer.lin", "o1").identity
    recovery_key = c.ProgrammeRecoveryKey.generate()
    for_officer = recovery_key.seal_for(officer.person)
    copy = mama.seal_for_programme_recovery(recovery_key.public)

    device_private, device_public = c.new_device_key()
    held = c.ProgrammeRecoveryKey.open(for_officer, officer, recovery_key.public)
    resealed = held.reseal_to_device(copy, user_id="p1", user_key_id=mama.user_key_id, device_public=device_public)
    restored = c.Identity.recover_on_device(signup.bundle, resealed, device_private, user_id="p1", login="mama.noor")
    assert restored.user_key == mama.user_key
    with pytest.raises(c.CryptoError):
        held.reseal_to_device(copy, user_id="p2", user_key_id=mama.user_key_id, device_public=device_public)


def test_a_signing_key_reaches_another_staff_member() -> None:
    staff = sign_up("staff.eva", "s1").identity
    other = sign_up("staff.ali", "s2").identity
    programme = c.SigningKey.generate()
    box = programme.seal_for(other.person)
    assert c.SigningKey.open(box, other, programme.public).public == programme.public
    with pytest.raises(c.CryptoError):
        c.SigningKey.open(box, staff, programme.public)


def test_messages_and_attachments() -> None:
    coach = sign_up("coach.sanne", "c1").identity
    conversation = c.new_epoch(coach, resource_type="conversation", resource_id="cv1", epoch=1, previous_key=None)
    message = c.encrypt_message(coach, conversation.key, conversation_id="cv1", message_id="m1", plaintext=b"hoi")
    assert (
        c.decrypt_message(message, conversation.key, conversation_id="cv1", message_id="m1", author=coach.person)
        == b"hoi"
    )
    photo = bytes(range(256)) * 700
    salt, parts = c.encrypt_attachment(conversation.key, [photo])
    meta = c.AttachmentMeta.from_bytes(c.AttachmentMeta("foto.jpg", "image/jpeg", len(photo), salt).to_bytes())
    assert b"".join(c.decrypt_attachment(conversation.key, parts, meta)) == photo


def test_wrong_argument_types_give_crypto_error_and_nothing_else() -> None:
    mama = sign_up("mama.noor", "p1").identity
    calls = [
        lambda: c.Identity.unlock(None, "mama.noor", "x", user_id="p1"),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
        lambda: c.Identity.create(42, "x", user_id="p1"),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
        lambda: c.new_epoch(mama, resource_type="PORTFOLIO", resource_id="x", epoch=1, previous_key=None),
        lambda: c.new_epoch(mama, resource_type="portfolio", resource_id="x", epoch=2, previous_key=None),
        lambda: c.encrypt_item(
            mama, c.Audience.only_me(), resource_type="diary", resource_id="", item_id="i", revision=1, plaintext=b"x"
        ),
        lambda: c.encrypt_item(
            mama, c.Audience.only_me(), resource_type="diary", resource_id="r", item_id="i", revision=-1, plaintext=b"x"
        ),
        lambda: c.seal_envelope(
            mama, bytes(31), resource_type="diary", resource_id="r", item_id="i", revision=1, plaintext=b"x"
        ),
        lambda: c.fingerprint(9, "x", bytes(32)),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
        lambda: c.encrypt_attachment(bytes(32), "not pieces"),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
        lambda: c.normalise_login(None),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
        lambda: c.fingerprint_text(bytes(3)),
        lambda: c.b64u_encode("text"),  # type: ignore[arg-type]  # a wrong type on purpose: it must be refused
    ]
    for call in calls:
        with pytest.raises(c.CryptoError) as raised:
            call()
        assert str(raised.value) == "refused"
        assert raised.value.__cause__ is None
