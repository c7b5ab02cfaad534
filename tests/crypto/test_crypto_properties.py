"""Properties over many inputs (Hypothesis): what is sealed opens to itself, any mutation is
refused, and no input whatsoever makes a parser raise anything but CryptoError."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eportfolio import crypto as c
from eportfolio.crypto.boxes import SecretPurpose, open_secret, seal_secret
from tests.crypto.keys import b, load, person

ORIGIN = "python"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ids = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40).filter(
    lambda s: 1 <= len(s.encode()) <= 255
)
resource_types = st.from_regex(r"[a-z0-9._-]{1,64}", fullmatch=True)
revisions = st.integers(min_value=0, max_value=2**53 - 1)
keys = st.binary(min_size=32, max_size=32)


@FAST
@given(
    key=keys,
    resource_type=resource_types,
    resource_id=ids,
    item_id=ids,
    revision=revisions,
    plaintext=st.binary(max_size=2048),
)
def test_an_envelope_opens_to_exactly_what_was_sealed(
    key: bytes, resource_type: str, resource_id: str, item_id: str, revision: int, plaintext: bytes
) -> None:
    author = person(ORIGIN, "participant")
    envelope = c.seal_envelope(
        author,
        key,
        resource_type=resource_type,
        resource_id=resource_id,
        item_id=item_id,
        revision=revision,
        plaintext=plaintext,
    )
    context = c.ItemContext(resource_type, resource_id, item_id, revision, author.person)
    assert c.open_envelope(envelope, key, context) == plaintext


@FAST
@given(plaintext=st.binary(max_size=4096), context=st.binary(max_size=64), key=keys)
def test_a_secret_box_opens_to_what_was_sealed(plaintext: bytes, context: bytes, key: bytes) -> None:
    box = seal_secret(key, SecretPurpose.PINNED_KEYS, plaintext, context, rng=c.primitives.system_rng)
    assert open_secret(box, key, SecretPurpose.PINNED_KEYS, context) == plaintext


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=70000), min_size=1, max_size=4),
    split=st.integers(min_value=1, max_value=100000),
)
def test_an_attachment_decrypts_to_its_data_however_it_is_cut(sizes: list[int], split: int) -> None:
    key = bytes(range(32))
    pieces = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    data = b"".join(pieces)
    salt, parts = c.encrypt_attachment(key, pieces)
    stream = b"".join(parts)
    chunks = [stream[i : i + split] for i in range(0, len(stream), split)]
    meta = c.AttachmentMeta("f.bin", "application/octet-stream", len(data), salt)
    assert b"".join(c.decrypt_attachment(key, chunks, meta)) == data


@FAST
@given(data=st.binary(max_size=300))
def test_base64url_round_trips(data: bytes) -> None:
    assert c.b64u_decode(c.b64u_encode(data)) == data


@FAST
@given(secret=st.binary(min_size=16, max_size=16))
def test_a_recovery_code_reads_back_as_written(secret: bytes) -> None:
    code = c.RecoveryCode(secret)
    assert c.RecoveryCode.parse(code.text).secret == secret
    assert c.RecoveryCode.parse(code.text.lower().replace("-", " ")).secret == secret


@FAST
@given(
    secret=st.binary(min_size=16, max_size=16),
    position=st.integers(min_value=0, max_value=27),
    replacement=st.sampled_from("0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
)
def test_a_single_typo_in_a_recovery_code_is_always_caught(secret: bytes, position: int, replacement: str) -> None:
    text = c.RecoveryCode(secret).text.replace("-", "")
    if text[position] == replacement:
        return
    typo = text[:position] + replacement + text[position + 1 :]
    try:
        c.RecoveryCode.parse(typo)
    except c.CryptoError:
        return
    raise AssertionError(typo)


# -- any mutation is refused ----------------------------------------------------------------


def _mutable_structures() -> dict[str, tuple[bytes, Callable[[bytes], object]]]:
    participant, coach = person(ORIGIN, "participant"), person(ORIGIN, "coach")
    envelope = load(ORIGIN, "envelopes")["cases"][0]
    context = c.ItemContext(
        envelope["resource_type"],
        envelope["resource_id"],
        envelope["item_id"],
        envelope["revision"],
        participant.person,
    )
    records = load(ORIGIN, "records")
    return {
        "envelope": (
            b(envelope["envelope"]),
            lambda data: c.open_envelope(data, b(envelope["content_key"]), context),
        ),
        "grant": (
            b(load(ORIGIN, "grants")["grant"]),
            lambda data: c.open_grant(data, coach, [participant.person.ed25519_public]),
        ),
        "duty roster": (
            b(records["duty_roster"]),
            lambda data: c.verify_record(data, b(records["programme_public"]), c.RecordKind.DUTY_ROSTER),
        ),
        "pinned keys": (
            b(load(ORIGIN, "pinned_keys")["record"]),
            lambda data: c.open_pinned_keys(participant, data),
        ),
    }


MUTABLE = _mutable_structures()


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(MUTABLE)))
    data = bytearray(MUTABLE[name][0])
    kind = draw(st.sampled_from(["xor", "insert", "delete", "splice"]))
    position = draw(st.integers(min_value=0, max_value=len(data) - 1))
    if kind == "xor":
        data[position] ^= draw(st.integers(min_value=1, max_value=255))
    elif kind == "insert":
        data[position:position] = draw(st.binary(min_size=1, max_size=8))
    elif kind == "delete":
        del data[position : position + draw(st.integers(min_value=1, max_value=8))]
    else:
        replacement = draw(st.binary(min_size=1, max_size=16))
        if data[position : position + len(replacement)] == replacement:
            replacement = bytes(x ^ 1 for x in replacement)
        data[position : position + len(replacement)] = replacement
    return name, bytes(data)


@settings(max_examples=300, deadline=None)
@given(mutation=mutations())
def test_any_mutation_of_a_signed_structure_is_refused(mutation: tuple[str, bytes]) -> None:
    name, data = mutation
    if data == MUTABLE[name][0]:
        return
    opener = MUTABLE[name][1]
    try:
        opener(data)
    except c.CryptoError:
        return
    raise AssertionError(f"{name} accepted a mutation")


# -- parser fuzz: nothing but CryptoError, whatever the bytes -----------------------------


def _parsers() -> dict[str, Callable[[bytes], object]]:
    participant, coach = person(ORIGIN, "participant"), person(ORIGIN, "coach")
    records = load(ORIGIN, "records")
    programme = b(records["programme_public"])
    context = c.ItemContext("diary", "p", "i", 1, participant.person)
    meta = c.AttachmentMeta("f", "t", 0, bytes(16))
    return {
        "kdf params": c.KdfParams.from_bytes,
        "key bundle": c.KeyBundle.from_bytes,
        "unlock": lambda data: c.Identity.unlock(data, "mama.noor", "pw", user_id="u", allow_test_params=True),
        "public identity": c.Person.from_public_identity,
        "auth proof": c.parse_auth_proof,
        "envelope key id": c.envelope_key_id,
        "envelope": lambda data: c.open_envelope(data, bytes(32), context),
        "grant (read)": c.read_grant,
        "grant (open)": lambda data: c.open_grant(data, coach, [participant.person.ed25519_public]),
        "epoch": lambda data: c.verify_epoch(data, [coach.person.ed25519_public]),
        "record": lambda data: c.verify_record(data, programme, c.RecordKind.DUTY_ROSTER),
        "pinned keys": lambda data: c.open_pinned_keys(participant, data),
        "attachment meta": c.AttachmentMeta.from_bytes,
        "attachment stream": lambda data: b"".join(c.decrypt_attachment(bytes(32), [data], meta)),
    }


PARSERS = _parsers()


def _valid_prefixes() -> list[bytes]:
    """Real structures to start from, so the fuzz gets past the header checks."""
    out = []
    for name in ("grants", "records", "pinned_keys", "identities", "envelopes", "epochs"):

        def walk(value: object) -> None:
            if isinstance(value, str) and len(value) >= 4 and len(value) % 2 == 0:
                try:
                    data = bytes.fromhex(value)
                except ValueError:
                    return
                if data[:1] == b"\x01":
                    out.append(data)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(load(ORIGIN, name))
    return out


SEEDS = _valid_prefixes()


@st.composite
def fuzz_inputs(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        choice = draw(st.integers(min_value=0, max_value=2))
        if choice == 0 and data:
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif choice == 1:
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[position : position + draw(st.integers(min_value=1, max_value=40))]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(PARSERS)), data=fuzz_inputs())
def test_parsers_raise_nothing_but_crypto_error(name: str, data: bytes) -> None:
    with contextlib.suppress(c.CryptoError):
        PARSERS[name](data)


@FAST
@given(text=st.text(max_size=60))
def test_text_parsers_raise_nothing_but_crypto_error(text: str) -> None:
    for parse in (c.b64u_decode, c.RecoveryCode.parse, c.parse_fingerprint_qr, c.normalise_login):
        with contextlib.suppress(c.CryptoError):
            parse(text)
