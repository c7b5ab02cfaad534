"""Tampering: every changed, cut, extended or misplaced structure is refused with CryptoError.

For each structure of the golden vectors: a flipped bit at every byte, every truncation, an
extra byte, another version and another tag are all refused, and `pytest.raises(CryptoError)`
also proves that no other exception leaks out. Then the attacks that keep the bytes intact: a
swapped item or author, a stale revision, an unknown key id, a signature by the wrong key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from eportfolio import crypto as c
from eportfolio.crypto.boxes import SealedPurpose, SecretPurpose, open_sealed, open_secret
from tests.crypto.keys import b, load, person

ORIGIN = "python"
Opener = Callable[[bytes], object]


def _structures() -> dict[str, tuple[bytes, Opener]]:
    identities = load(ORIGIN, "identities")["people"]
    participant_entry = identities["participant"]
    participant = person(ORIGIN, "participant")
    coach = person(ORIGIN, "coach")
    envelopes = load(ORIGIN, "envelopes")
    envelope = envelopes["cases"][0]
    context = c.ItemContext(
        envelope["resource_type"],
        envelope["resource_id"],
        envelope["item_id"],
        envelope["revision"],
        participant.person,
    )
    grants = load(ORIGIN, "grants")
    epochs = load(ORIGIN, "epochs")["chain"]
    records = load(ORIGIN, "records")
    programme_public = b(records["programme_public"])
    boxes = load(ORIGIN, "boxes")
    secret, sealed = boxes["secret"][1], boxes["sealed"][0]
    pinned = load(ORIGIN, "pinned_keys")
    vouch = load(ORIGIN, "vouches")["vouch"]
    consent = load(ORIGIN, "score_consents")["statements"][1]["statement"]
    recovery = load(ORIGIN, "recovery")["programme"]
    staff = person(ORIGIN, "staff")

    def unlock(bundle: bytes) -> object:
        return c.Identity.unlock(
            bundle,
            participant_entry["login"],
            participant_entry["password"],
            user_id=participant_entry["user_id"],
            allow_test_params=True,
        )

    def recover(bundle: bytes) -> object:
        return c.Identity.recover(
            bundle,
            participant_entry["recovery_code"],
            user_id=participant_entry["user_id"],
            login=participant_entry["login"],
        )

    def record(kind: c.RecordKind) -> Opener:
        return lambda data: c.verify_record(data, programme_public, kind)

    return {
        "key bundle (password)": (b(participant_entry["bundle"]), unlock),
        "key bundle (recovery code)": (b(participant_entry["bundle"]), recover),
        "public identity": (b(participant_entry["public_identity"]), c.Person.from_public_identity),
        "secret box": (
            b(secret["box"]),
            lambda data: open_secret(data, b(secret["key"]), SecretPurpose(secret["purpose"]), b(secret["context"])),
        ),
        "sealed box": (
            b(sealed["box"]),
            lambda data: open_sealed(
                data,
                b(sealed["recipient_private"]),
                SealedPurpose(sealed["purpose"]),
                b(sealed["context"]),
            ),
        ),
        "envelope": (
            b(envelope["envelope"]),
            lambda data: c.open_envelope(data, b(envelope["content_key"]), context),
        ),
        "grant": (
            b(grants["grant"]),
            lambda data: c.open_grant(data, coach, [participant.person.ed25519_public]),
        ),
        "epoch record (first)": (
            b(epochs[0]["record"]),
            lambda data: c.verify_epoch(data, [coach.person.ed25519_public]),
        ),
        "epoch record (chained)": (
            b(epochs[2]["record"]),
            lambda data: c.open_previous_key(data, b(epochs[2]["key"]), [coach.person.ed25519_public]),
        ),
        "programme key certificate": (
            b(records["certificate"]),
            lambda data: c.verify_programme_key(data, b(records["organisation_public"]), records["programme_id"]),
        ),
        "coach assignment": (
            b(records["coach_assignment"]),
            record(c.RecordKind.COACH_ASSIGNMENT),
        ),
        "duty roster": (b(records["duty_roster"]), record(c.RecordKind.DUTY_ROSTER)),
        "programme recovery key": (
            b(records["recovery_key"]),
            record(c.RecordKind.PROGRAMME_RECOVERY_KEY),
        ),
        "signing key for staff": (
            b(records["programme_key_for_staff"]),
            lambda data: c.SigningKey.open(data, staff, programme_public),
        ),
        "pinned keys": (
            b(pinned["record"]),
            lambda data: c.open_pinned_keys(participant, data),
        ),
        "vouch": (
            b(vouch),
            lambda data: c.verify_vouch(data, [person(ORIGIN, "coach").person.ed25519_public]),
        ),
        "score consent": (
            b(consent),
            lambda data: c.verify_score_consent(data, participant.person.ed25519_public),
        ),
        "programme recovery copy to device": (
            b(recovery["resealed"]),
            lambda data: c.Identity.recover_on_device(
                b(participant_entry["bundle"]),
                data,
                b(recovery["device_private"]),
                user_id=participant_entry["user_id"],
                login=participant_entry["login"],
            ),
        ),
    }


STRUCTURES = _structures()
NAMES = sorted(STRUCTURES)


def refused(opener: Opener, data: bytes) -> bool:
    try:
        opener(data)
    except c.CryptoError:
        return True
    return False


@pytest.mark.parametrize("name", NAMES)
def test_the_untouched_structure_opens(name: str) -> None:
    data, opener = STRUCTURES[name]
    opener(data)


@pytest.mark.parametrize("name", NAMES)
def test_a_flipped_bit_in_any_byte_is_refused(name: str) -> None:
    data, opener = STRUCTURES[name]
    for position in range(len(data)):
        for bit in {position % 8, 7 - position % 8}:
            changed = bytearray(data)
            changed[position] ^= 1 << bit
            assert refused(opener, bytes(changed)), (position, bit)


@pytest.mark.parametrize("name", NAMES)
def test_a_truncated_or_extended_structure_is_refused(name: str) -> None:
    data, opener = STRUCTURES[name]
    for length in range(len(data)):
        assert refused(opener, data[:length]), length
    assert refused(opener, data + b"\x00")


@pytest.mark.parametrize("name", NAMES)
def test_another_version_or_structure_tag_is_refused(name: str) -> None:
    data, opener = STRUCTURES[name]
    for version in (0x00, 0x02, 0xFF):
        assert refused(opener, bytes([version]) + data[1:])
    for tag in range(0x00, 0x10):
        if tag != data[1]:
            assert refused(opener, data[:1] + bytes([tag]) + data[2:])


@pytest.mark.parametrize("name", NAMES)
def test_anything_that_is_not_bytes_is_refused(name: str) -> None:
    _data, opener = STRUCTURES[name]
    for wrong in (None, "text", 12, [1, 2]):
        with pytest.raises(c.CryptoError):
            opener(wrong)  # type: ignore[arg-type]  # a wrong type on purpose: the opener must refuse it


# -- attacks that keep the bytes intact ---------------------------------------------------


@pytest.fixture
def item() -> tuple[bytes, bytes, c.ItemContext]:
    case = load(ORIGIN, "envelopes")["cases"][0]
    context = c.ItemContext(
        case["resource_type"],
        case["resource_id"],
        case["item_id"],
        case["revision"],
        person(ORIGIN, "participant").person,
    )
    return b(case["envelope"]), b(case["content_key"]), context


def test_an_envelope_served_as_another_item_is_refused(
    item: tuple[bytes, bytes, c.ItemContext],
) -> None:
    envelope, key, context = item
    for swapped in (
        replace(context, item_id="item-4"),
        replace(context, resource_id="portfolio-18"),
        replace(context, resource_type="diary"),
    ):
        with pytest.raises(c.CryptoError):
            c.open_envelope(envelope, key, swapped)


def test_a_stale_or_future_revision_is_refused(item: tuple[bytes, bytes, c.ItemContext]) -> None:
    envelope, key, context = item
    for revision in (context.revision - 1, context.revision + 1, 0):
        with pytest.raises(c.CryptoError):
            c.open_envelope(envelope, key, replace(context, revision=revision))


def test_an_envelope_claimed_by_another_author_is_refused(
    item: tuple[bytes, bytes, c.ItemContext],
) -> None:
    envelope, key, context = item
    coach = person(ORIGIN, "coach").person
    for author in (coach, replace(coach, user_id=context.author.user_id)):
        with pytest.raises(c.CryptoError):
            c.open_envelope(envelope, key, replace(context, author=author))
    with pytest.raises(c.CryptoError):
        c.open_envelope(envelope, key, replace(context, author=replace(context.author, user_id="x")))


def test_an_envelope_opened_with_an_unknown_key_is_refused(
    item: tuple[bytes, bytes, c.ItemContext],
) -> None:
    envelope, key, context = item
    with pytest.raises(c.CryptoError):
        c.open_envelope(envelope, bytes(32), context)
    with pytest.raises(c.CryptoError):
        c.open_envelope(envelope, key[:31], context)


def test_swapping_envelope_bodies_between_items_is_refused() -> None:
    participant = person(ORIGIN, "participant")
    key = bytes(range(32))
    one = c.seal_envelope(
        participant,
        key,
        resource_type="diary",
        resource_id="p",
        item_id="1",
        revision=1,
        plaintext=b"one",
    )
    two = c.seal_envelope(
        participant,
        key,
        resource_type="diary",
        resource_id="p",
        item_id="2",
        revision=1,
        plaintext=b"two",
    )
    spliced = two[:30] + one[30:]
    context = c.ItemContext("diary", "p", "2", 1, participant.person)
    with pytest.raises(c.CryptoError):
        c.open_envelope(spliced, key, context)
    with pytest.raises(c.CryptoError):
        c.open_envelope(one, key, context)


def test_a_grant_is_accepted_only_from_an_accepted_granter_and_only_by_its_recipient() -> None:
    vectors = load(ORIGIN, "grants")
    grant = b(vectors["grant"])
    participant, coach = person(ORIGIN, "participant"), person(ORIGIN, "coach")
    budget = person(ORIGIN, "budget_coach")
    with pytest.raises(c.CryptoError):
        c.open_grant(grant, coach, [])
    with pytest.raises(c.CryptoError):
        c.open_grant(grant, coach, [budget.person.ed25519_public])
    with pytest.raises(c.CryptoError):
        c.open_grant(grant, budget, [participant.person.ed25519_public])
    # A grant the server made up for a reader, signed by someone who is not a member.
    forged = c.make_grant(
        budget,
        resource_type="portfolio",
        resource_id="portfolio-17",
        epoch=3,
        key=b(vectors["key"]),
        recipient=coach.person,
    )
    with pytest.raises(c.CryptoError):
        c.open_grant(forged, coach, [participant.person.ed25519_public])
    # The participant's signature moved onto a grant with another recipient or epoch.
    honest = c.make_grant(
        participant,
        resource_type="portfolio",
        resource_id="portfolio-17",
        epoch=4,
        key=b(vectors["key"]),
        recipient=coach.person,
    )
    with pytest.raises(c.CryptoError):
        c.open_grant(honest[:-64] + grant[-64:], coach, [participant.person.ed25519_public])


def test_records_signed_by_the_wrong_key_or_read_as_another_kind_are_refused() -> None:
    records = load(ORIGIN, "records")
    programme_public = b(records["programme_public"])
    organisation_public = b(records["organisation_public"])
    assignment = b(records["coach_assignment"])
    with pytest.raises(c.CryptoError):
        c.verify_record(assignment, organisation_public, c.RecordKind.COACH_ASSIGNMENT)
    with pytest.raises(c.CryptoError):
        c.verify_record(assignment, programme_public, c.RecordKind.DUTY_ROSTER)
    impostor = c.SigningKey.generate()
    coach = person(ORIGIN, "coach").person
    forged = impostor.sign_record(
        c.CoachAssignment("person-participant", coach.user_id, coach.fingerprint, c.CoachRole.INDIVIDUAL, 0, 0),
        organisation_id="org-smart-mama",
        programme_id="programme-emmen",
        serial=8,
        issued_at=1,
        signed_by="person-staff",
    )
    with pytest.raises(c.CryptoError):
        c.verify_record(forged, programme_public, c.RecordKind.COACH_ASSIGNMENT)
    # An unsigned roster: the signature zeroed.
    roster = b(records["duty_roster"])
    with pytest.raises(c.CryptoError):
        c.verify_record(roster[:-64] + bytes(64), programme_public, c.RecordKind.DUTY_ROSTER)
    # A certificate for another programme does not vouch for this one.
    with pytest.raises(c.CryptoError):
        c.verify_programme_key(b(records["certificate"]), organisation_public, "programme-zuid")
    # The programme key cannot certify itself.
    with pytest.raises(c.CryptoError):
        c.verify_programme_key(b(records["certificate"]), programme_public, "programme-emmen")


def test_an_epoch_made_by_a_non_member_is_refused() -> None:
    chain = load(ORIGIN, "epochs")["chain"]
    participant = person(ORIGIN, "participant").person.ed25519_public
    with pytest.raises(c.CryptoError):
        c.open_previous_key(b(chain[1]["record"]), b(chain[1]["key"]), [participant])
    with pytest.raises(c.CryptoError):
        c.open_previous_key(b(chain[1]["record"]), b(chain[2]["key"]), [participant])


def test_an_older_pinned_keys_record_is_refused() -> None:
    vectors = load(ORIGIN, "pinned_keys")
    owner = person(ORIGIN, "participant")
    with pytest.raises(c.CryptoError):
        c.open_pinned_keys(owner, b(vectors["record"]), min_revision=6)
    with pytest.raises(c.CryptoError):
        c.open_pinned_keys(person(ORIGIN, "coach"), b(vectors["record"]))


def test_a_bundle_with_weakened_kdf_parameters_is_refused_before_any_work() -> None:
    entry = load(ORIGIN, "identities")["people"]["participant"]
    signup = c.Identity.create(
        entry["login"],
        entry["password"],
        user_id=entry["user_id"],
        params=c.KdfParams.new(rng=lambda n: bytes(n)),
    )
    bundle = c.KeyBundle.from_bytes(signup.bundle)
    weakened = replace(bundle, params=replace(bundle.params, memory_kib=32768, iterations=1))
    with pytest.raises(c.CryptoError):
        c.Identity.unlock(weakened.to_bytes(), entry["login"], entry["password"], user_id=entry["user_id"])
    # Even where test parameters are allowed, the wrapped key is bound to the real parameters.
    with pytest.raises(c.CryptoError):
        c.Identity.unlock(
            weakened.to_bytes(),
            entry["login"],
            entry["password"],
            user_id=entry["user_id"],
            allow_test_params=True,
        )


def test_a_wrong_password_or_login_is_refused() -> None:
    entry = load(ORIGIN, "identities")["people"]["participant"]
    for login, password in ((entry["login"], "zon op het Water"), ("mama.noor2", entry["password"])):
        with pytest.raises(c.CryptoError):
            c.Identity.unlock(
                b(entry["bundle"]),
                login,
                password,
                user_id=entry["user_id"],
                allow_test_params=True,
            )


def test_attachment_streams_cut_reordered_or_changed_are_refused() -> None:
    case = load(ORIGIN, "attachments")["cases"][3]
    meta = c.AttachmentMeta.from_bytes(b(case["meta"]))
    key = b(case["item_key"])
    stream = c.b64u_decode(case["stream"])
    header, first, last = stream[:38], stream[38 : 38 + 65552], stream[38 + 65552 :]

    def opens(data: bytes, stream_meta: c.AttachmentMeta = meta) -> bool:
        try:
            b"".join(c.decrypt_attachment(key, [data], stream_meta))
        except c.CryptoError:
            return False
        return True

    assert opens(stream)
    assert not opens(header + first)  # the last chunk dropped
    assert not opens(header + last + first)  # reordered
    assert not opens(stream + last)  # extended
    assert not opens(header)  # no chunk at all
    assert not opens(stream, replace(meta, size=meta.size - 1))
    assert not opens(stream, replace(meta, stream_salt=bytes(16)))
    for position in [*range(0, 38), *range(38, len(stream), 4099), len(stream) - 1]:
        changed = bytearray(stream)
        changed[position] ^= 0x10
        assert not opens(bytes(changed)), position
    with pytest.raises(c.CryptoError):
        b"".join(c.decrypt_attachment(bytes(32), [stream], meta))


def test_a_grant_or_epoch_record_for_another_resource_or_epoch_is_refused() -> None:
    """The bytes are intact and signed, but about something else than the caller asked for."""
    params = c.KdfParams.new(8, 1, 1)
    her = c.Identity.create("mother.a", "pw one", user_id="p1", params=params, allow_test_params=True).identity
    coach = c.Identity.create("coach.a", "pw two", user_id="c1", params=params, allow_test_params=True).identity
    first = c.new_epoch(coach, resource_type="portfolio", resource_id="pf1", epoch=1, previous_key=None)
    second = c.new_epoch(coach, resource_type="portfolio", resource_id="pf1", epoch=2, previous_key=first.key)
    grant = c.make_grant(coach, resource_type="portfolio", resource_id="pf1", epoch=2, key=second.key,
                         recipient=her.person)
    accepted = [coach.person.ed25519_public]
    asked = {"resource_type": "portfolio", "resource_id": "pf1", "epoch": 2}
    assert c.open_grant(grant, her, accepted, asked)[1] == second.key
    assert c.open_previous_key(second.record, second.key, accepted, asked) == first.key
    for wrong in ({"resource_id": "pf2"}, {"epoch": 1}, {"resource_type": "conversation"}):
        with pytest.raises(c.CryptoError):
            c.open_grant(grant, her, accepted, {**asked, **wrong})
        with pytest.raises(c.CryptoError):
            c.verify_epoch(second.record, accepted, {**asked, **wrong})
        with pytest.raises(c.CryptoError):
            c.open_previous_key(second.record, second.key, accepted, {**asked, **wrong})
