"""The golden vectors of both implementations, opened by the Python reference.

Each vector set (made by Python, and made by the browser code in Node) must be reproduced byte for
byte by the Python generator and every structure in it must open to what it claims.
"""

from __future__ import annotations

import hashlib

import pytest

from eportfolio import crypto as c
from eportfolio.crypto.boxes import SealedPurpose, SecretPurpose, open_sealed, open_secret
from eportfolio.crypto.kdf import login_salt
from tests.crypto.keys import ORIGINS, b, load, person
from tests.crypto.vectorgen import generate

pytestmark = pytest.mark.parametrize("origin", ORIGINS)


def test_the_python_generator_reproduces_every_file_byte_for_byte(origin: str) -> None:
    for name, body in generate(origin).items():
        assert body == load(origin, name), name


def test_login_names_salts_and_kdf_outputs(origin: str) -> None:
    vectors = load(origin, "kdf")
    for case in vectors["logins"]:
        if case["normalised"] is None:
            with pytest.raises(c.CryptoError):
                c.normalise_login(case["input"])
        else:
            assert c.normalise_login(case["input"]) == case["normalised"]
    for case in vectors["derivations"]:
        params = c.KdfParams.from_bytes(b(case["params"]))
        assert login_salt(case["login"], params.seed).hex() == case["salt"]
        secrets = c.derive_login_secrets(case["login"], case["password"], params, allow_test_params=True)
        assert secrets.master_key.hex() == case["master_key"]
        assert secrets.auth_secret.hex() == case["auth_secret"]
        assert secrets.kek.hex() == case["kek"]
        assert secrets.auth_proof().hex() == case["auth_proof"]
        assert c.parse_auth_proof(secrets.auth_proof()) == (1, secrets.auth_secret)
        if not case["minimum_met"]:
            with pytest.raises(c.CryptoError):
                c.derive_login_secrets(case["login"], case["password"], params)


def test_parameters_below_the_minimum_or_above_the_maximum_are_refused(origin: str) -> None:
    refused = load(origin, "kdf")["refused_params"]
    for encoded in refused["below_minimum"]:
        params = c.KdfParams.from_bytes(b(encoded))
        with pytest.raises(c.CryptoError):
            c.derive_login_secrets("mama.noor", "password", params)
    for encoded in refused["above_maximum"]:
        params = c.KdfParams.from_bytes(b(encoded))
        with pytest.raises(c.CryptoError):
            c.derive_login_secrets("mama.noor", "password", params, allow_test_params=True)


def test_every_person_unlocks_with_password_and_with_recovery_code(origin: str) -> None:
    for name, entry in load(origin, "identities")["people"].items():
        identity = person(origin, name)
        assert identity.user_key_id.hex() == entry["user_key_id"]
        assert identity.person.x25519_public.hex() == entry["x25519_public"]
        assert identity.person.ed25519_public.hex() == entry["ed25519_public"]
        assert identity.fingerprint.hex() == entry["fingerprint"]
        assert identity.person.fingerprint_text == entry["fingerprint_text"]
        published = c.Person.from_public_identity(b(entry["public_identity"]))
        assert published == identity.person
        recovered = c.Identity.recover(
            b(entry["bundle"]),
            entry["recovery_code"],
            user_id=entry["user_id"],
            login=entry["login"],
        )
        assert recovered.user_key == identity.user_key
        code = c.RecoveryCode.parse(entry["recovery_code"])
        assert code.auth_proof().hex() == entry["recovery_auth_proof"]
        secrets = c.derive_login_secrets(
            entry["login"],
            entry["password"],
            c.KdfParams.from_bytes(b(entry["params"])),
            allow_test_params=True,
        )
        assert secrets.auth_proof().hex() == entry["auth_proof"]


def test_fingerprints_as_text_and_qr(origin: str) -> None:
    for case in load(origin, "fingerprints")["cases"]:
        value = c.fingerprint(c.FingerprintKind(case["kind"]), case["subject_id"], b(case["key_material"]))
        assert value.hex() == case["fingerprint"]
        assert c.fingerprint_text(value) == case["text"]
        assert c.fingerprint_qr(value) == case["qr"]
        assert c.parse_fingerprint_qr(case["qr"]) == value


def test_secret_and_sealed_boxes_open(origin: str) -> None:
    vectors = load(origin, "boxes")
    for case in vectors["secret"]:
        purpose = SecretPurpose(case["purpose"])
        opened = open_secret(b(case["box"]), b(case["key"]), purpose, b(case["context"]))
        assert opened.hex() == case["plaintext"]
    for case in vectors["sealed"]:
        purpose = SealedPurpose(case["purpose"])
        opened = open_sealed(b(case["box"]), b(case["recipient_private"]), purpose, b(case["context"]))
        assert opened.hex() == case["plaintext"]


def test_envelopes_open_for_exactly_what_they_claim(origin: str) -> None:
    vectors = load(origin, "envelopes")
    for case in vectors["cases"]:
        author = person(origin, case["author"]).person
        context = c.ItemContext(case["resource_type"], case["resource_id"], case["item_id"], case["revision"], author)
        key = b(case["content_key"])
        assert context.associated_data(c.key_id(key)).hex() == case["ad"]
        assert c.envelope_key_id(b(case["envelope"])) == c.key_id(key)
        assert c.open_envelope(b(case["envelope"]), key, context).hex() == case["plaintext"]
    message = vectors["message"]
    plaintext = c.decrypt_message(
        b(message["envelope"]),
        b(message["conversation_key"]),
        conversation_id=message["conversation_id"],
        message_id=message["message_id"],
        author=person(origin, message["author"]).person,
    )
    assert plaintext.hex() == message["plaintext"]


def test_items_open_for_their_audience(origin: str) -> None:
    vectors = load(origin, "items")
    participant = person(origin, "participant")
    for case in vectors["cases"]:
        item_key_id = b(case["item_key_id"])
        audience_key = b(vectors["portfolio_key"]) if case["audience"] == "coaches" else participant.user_key
        item_key = c.unwrap_item_key(b(case["wraps"][0]), audience_key, item_key_id)
        context = c.ItemContext(
            case["resource_type"],
            case["resource_id"],
            case["item_id"],
            case["revision"],
            participant.person,
        )
        assert c.open_envelope(b(case["envelope"]), item_key, context).hex() == case["plaintext"]
        assert len(case["grants"]) == len(case["readers"])
        for grant, reader_name in zip(case["grants"], case["readers"], strict=True):
            reader = person(origin, reader_name)
            _grant, granted = c.open_grant(b(grant), reader, [participant.person.ed25519_public])
            assert c.open_envelope(b(case["envelope"]), granted, context).hex() == case["plaintext"]


def test_grant_opens_for_its_recipient(origin: str) -> None:
    vectors = load(origin, "grants")
    granter = person(origin, vectors["granter"])
    recipient = person(origin, vectors["recipient"])
    grant, key = c.open_grant(b(vectors["grant"]), recipient, [granter.person.ed25519_public])
    assert key.hex() == vectors["key"]
    assert (grant.resource_type, grant.resource_id, grant.epoch) == (
        vectors["resource_type"],
        vectors["resource_id"],
        vectors["epoch"],
    )
    assert grant.recipient_fingerprint == recipient.fingerprint
    assert c.read_grant(b(vectors["grant"])) == grant


def test_epoch_chain_leads_back_to_the_first_key(origin: str) -> None:
    vectors = load(origin, "epochs")
    creator = person(origin, vectors["creator"]).person.ed25519_public
    chain = vectors["chain"]
    for newer, older in zip(chain[1:], chain, strict=False):
        previous = c.open_previous_key(b(newer["record"]), b(newer["key"]), [creator])
        assert previous.hex() == older["key"]
    first = c.verify_epoch(b(chain[0]["record"]), [creator])
    assert first.epoch == 1
    assert first.key_id == c.key_id(b(chain[0]["key"]))


def test_signed_records_verify_along_the_chain(origin: str) -> None:
    vectors = load(origin, "records")
    programme_public = c.verify_programme_key(
        b(vectors["certificate"]), b(vectors["organisation_public"]), vectors["programme_id"]
    )
    assert programme_public.hex() == vectors["programme_public"]
    coach = person(origin, "coach")
    assignment = c.verify_record(b(vectors["coach_assignment"]), programme_public, c.RecordKind.COACH_ASSIGNMENT)
    assert isinstance(assignment.body, c.CoachAssignment)
    assert assignment.body.coach_fingerprint == coach.fingerprint
    assert (assignment.serial, assignment.signed_by) == (7, vectors["signed_by"])
    roster = c.verify_record(b(vectors["duty_roster"]), programme_public, c.RecordKind.DUTY_ROSTER)
    assert isinstance(roster.body, c.DutyRoster)
    assert [entry.duty for entry in roster.body.entries] == [c.Duty.COACH, c.Duty.SUPERVISOR]
    recovery = c.verify_record(b(vectors["recovery_key"]), programme_public, c.RecordKind.PROGRAMME_RECOVERY_KEY)
    assert isinstance(recovery.body, c.ProgrammeRecoveryKeyRecord)
    assert recovery.body.x25519_public.hex() == vectors["recovery_public"]
    group = c.verify_record(b(vectors["group_membership"]), programme_public, c.RecordKind.GROUP_MEMBERSHIP)
    assert isinstance(group.body, c.GroupMembership)
    assert (group.serial, group.body.group_id, group.body.valid_until) == (3, "group-emmen-1", 0)
    assert [(m.person_id, m.role) for m in group.body.members] == [
        ("person-participant", c.GroupRole.PARTICIPANT),
        (coach.user_id, c.GroupRole.TRAINER),
    ]
    assert group.body.members[1].fingerprint == coach.fingerprint
    staff = person(origin, vectors["staff"])
    key = c.SigningKey.open(b(vectors["programme_key_for_staff"]), staff, programme_public)
    assert key.public == programme_public


def test_pinned_keys_open_for_their_owner(origin: str) -> None:
    vectors = load(origin, "pinned_keys")
    owner = person(origin, vectors["owner"])
    revision, entries = c.open_pinned_keys(owner, b(vectors["record"]), min_revision=5)
    assert revision == vectors["revision"]
    assert [
        {
            "kind": int(e.kind),
            "subject_id": e.subject_id,
            "key_material": e.key_material.hex(),
            "confirmed": e.confirmed,
        }
        for e in entries
    ] == vectors["entries"]


def test_recovery_codes_and_programme_recovery(origin: str) -> None:
    vectors = load(origin, "recovery")
    for case in vectors["codes"]:
        code = c.RecoveryCode(b(case["secret"]))
        assert code.text == case["text"]
        assert code.kek.hex() == case["kek"]
        assert code.auth_secret.hex() == case["auth_secret"]
        assert code.auth_proof().hex() == case["auth_proof"]
        assert c.parse_auth_proof(code.auth_proof()) == (2, code.auth_secret)
    for case in vectors["parse"]:
        if case["secret"] is None:
            with pytest.raises(c.CryptoError):
                c.RecoveryCode.parse(case["typed"])
        else:
            assert c.RecoveryCode.parse(case["typed"]).secret.hex() == case["secret"]
    flow = vectors["programme"]
    participant = person(origin, flow["participant"])
    officer = person(origin, flow["officer"])
    recovery_key = c.ProgrammeRecoveryKey.open(b(flow["officer_box"]), officer, b(flow["recovery_public"]))
    entry = load(origin, "identities")["people"][flow["participant"]]
    on_device = c.Identity.recover_on_device(
        b(entry["bundle"]),
        b(flow["resealed"]),
        b(flow["device_private"]),
        user_id=entry["user_id"],
        login=entry["login"],
    )
    assert on_device.user_key == participant.user_key
    device_private, device_public = c.new_device_key()
    resealed = recovery_key.reseal_to_device(
        b(flow["copy"]),
        user_id=participant.user_id,
        user_key_id=participant.user_key_id,
        device_public=device_public,
    )
    again = c.Identity.recover_on_device(
        b(entry["bundle"]), resealed, device_private, user_id=entry["user_id"], login=entry["login"]
    )
    assert again.user_key == participant.user_key
    assert (
        c.fingerprint(c.FingerprintKind.RECOVERY_DEVICE_KEY, participant.user_id, b(flow["device_public"])).hex()
        == flow["device_fingerprint"]
    )


def test_a_rotated_user_key_opens_with_her_password_and_code_and_the_old_key_opens_nothing(origin: str) -> None:
    vectors = load(origin, "rotation")
    entry = load(origin, "identities")["people"][vectors["participant"]]
    old = person(origin, vectors["participant"])
    assert old.user_key_id.hex() == vectors["old_user_key_id"]
    kept, fresh = vectors["kept_code"], vectors["new_code"]
    login, user_id = entry["login"], entry["user_id"]

    unlocked = c.Identity.unlock(b(kept["bundle"]), login, entry["password"], user_id=user_id, allow_test_params=True)
    recovered = c.Identity.recover(b(kept["bundle"]), entry["recovery_code"], user_id=user_id, login=login)
    assert unlocked.user_key == recovered.user_key != old.user_key
    assert unlocked.user_key_id.hex() == kept["new_user_key_id"]
    assert unlocked.person == old.person, "her identity keys stay; only the key over them changes"
    assert kept["recovery_auth_proof"] == entry["recovery_auth_proof"], "she keeps her recovery code"
    item_key_id = b(vectors["item_key_id"])
    assert c.unwrap_item_key(b(kept["item_wrap"]), unlocked.user_key, item_key_id).hex() == vectors["item_key"]
    assert c.unwrap_item_key(b(vectors["old_item_wrap"]), old.user_key, item_key_id).hex() == vectors["item_key"]
    with pytest.raises(c.CryptoError):
        c.unwrap_item_key(b(kept["item_wrap"]), old.user_key, item_key_id)
    revision, entries = c.open_pinned_keys(unlocked, b(kept["pinned_record"]), min_revision=6)
    assert revision == kept["pinned_revision"] == 6
    _, before = c.open_pinned_keys(old, b(load(origin, "pinned_keys")["record"]))
    assert entries == before
    with pytest.raises(c.CryptoError):
        c.open_pinned_keys(old, b(kept["pinned_record"]))
    context = b(kept["new_user_key_id"]) + len(user_id.encode()).to_bytes(2, "big") + user_id.encode()
    copy = open_sealed(b(kept["recovery_copy"]), b(kept["recovery_private"]), SealedPurpose.PROGRAMME_RECOVERY, context)
    assert copy == unlocked.user_key
    # The old key opens none of the new boxes: not the private keys, so not the bundle.
    with pytest.raises(c.CryptoError):
        c.Identity._from_user_key(c.KeyBundle.from_bytes(b(kept["bundle"])), old.user_key, user_id=user_id, login=login)

    renewed = c.Identity.recover(b(fresh["bundle"]), fresh["recovery_code"], user_id=user_id, login=login)
    assert renewed.user_key_id.hex() == fresh["new_user_key_id"]
    assert c.RecoveryCode.parse(fresh["recovery_code"]).auth_proof().hex() == fresh["recovery_auth_proof"]
    assert (
        c.Identity.unlock(
            b(fresh["bundle"]), login, entry["password"], user_id=user_id, allow_test_params=True
        ).user_key
        == renewed.user_key
    )
    with pytest.raises(c.CryptoError):
        c.Identity.recover(b(fresh["bundle"]), entry["recovery_code"], user_id=user_id, login=login)


def test_attachment_streams_decrypt_to_their_data(origin: str) -> None:
    for case in load(origin, "attachments")["cases"]:
        meta = c.AttachmentMeta.from_bytes(b(case["meta"]))
        assert meta.size == case["size"]
        stream = c.b64u_decode(case["stream"])
        pieces = [stream[i : i + 5000] for i in range(0, len(stream), 5000)] or [b""]
        data = b"".join(c.decrypt_attachment(b(case["item_key"]), pieces, meta))
        assert len(data) == case["size"]
        assert hashlib.sha256(data).hexdigest() == case["sha256"]


def test_base64url(origin: str) -> None:
    vectors = load(origin, "encoding")
    for case in vectors["valid"]:
        assert c.b64u_encode(b(case["hex"])) == case["text"]
        assert c.b64u_decode(case["text"]).hex() == case["hex"]
    for text in vectors["invalid"]:
        with pytest.raises(c.CryptoError):
            c.b64u_decode(text)


def test_vouches_verify_under_the_coachs_key_only(origin: str) -> None:
    vectors = load(origin, "vouches")
    coach = person(origin, vectors["voucher"]).person
    subject = person(origin, vectors["subject"]).person
    former = c.Person(subject.user_id, b(vectors["former_x25519_public"]), b(vectors["former_ed25519_public"]))
    vouch = c.verify_vouch(b(vectors["vouch"]), [coach.ed25519_public])
    assert (vouch.subject_id, vouch.voucher_id) == (subject.user_id, coach.user_id)
    assert vouch.new_fingerprint == subject.fingerprint
    assert vouch.former_fingerprint == former.fingerprint
    assert vouch.vouched_at == vectors["vouched_at"]
    with pytest.raises(c.CryptoError):
        c.verify_vouch(b(vectors["vouch"]), [subject.ed25519_public])


def test_score_consents_verify_under_her_key_only(origin: str) -> None:
    vectors = load(origin, "score_consents")
    her = person(origin, vectors["signer"]).person
    other = person(origin, "coach").person
    assert c.consent_text_sha256(vectors["text"]).hex() == vectors["text_sha256"]
    for case in vectors["statements"]:
        statement = c.verify_score_consent(b(case["statement"]), her.ed25519_public)
        assert (statement.programme_id, statement.person_id) == (vectors["programme_id"], her.user_id)
        assert (statement.kind, statement.serial, statement.language) == (case["kind"], case["serial"], "nl")
        assert statement.text_sha256.hex() == vectors["text_sha256"]
        with pytest.raises(c.CryptoError):
            c.verify_score_consent(b(case["statement"]), other.ed25519_public)
        tampered = bytearray(b(case["statement"]))
        tampered[-70] ^= 1
        with pytest.raises(c.CryptoError):
            c.verify_score_consent(bytes(tampered), her.ed25519_public)


def test_intake_team_record_and_sealed_letter(origin: str) -> None:
    vectors = load(origin, "intake")
    programme_public = c.verify_programme_key(
        b(vectors["certificate"]), b(vectors["organisation_public"]), vectors["programme_id"]
    )
    team = c.verify_record(b(vectors["intake_team"]), programme_public, c.RecordKind.INTAKE_TEAM)
    assert isinstance(team.body, c.IntakeTeam)
    assert (team.serial, team.body.valid_until, len(team.body.readers)) == (4, 0, 2)
    for entry, name in zip(team.body.readers, vectors["readers"], strict=True):
        reader = person(origin, name)
        assert (entry.person_id, entry.fingerprint) == (reader.user_id, reader.fingerprint)
        plaintext = c.open_intake_letter(
            b(vectors["letter"]),
            b(vectors["keys"][reader.user_id]),
            reader,
            programme_id=vectors["programme_id"],
            application_id=vectors["application_id"],
        )
        assert plaintext.hex() == vectors["plaintext"]
    with pytest.raises(c.CryptoError):
        c.verify_record(b(vectors["intake_team"]), programme_public, c.RecordKind.GROUP_MEMBERSHIP)
    staff = person(origin, "staff")
    with pytest.raises(c.CryptoError):
        c.open_intake_letter(
            b(vectors["letter"]),
            b(vectors["keys"][staff.user_id]),
            staff,
            programme_id=vectors["programme_id"],
            application_id="application-2",
        )
