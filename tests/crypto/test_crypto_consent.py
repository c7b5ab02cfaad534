"""Her signed score consent (crypto-spec 9.2): what a reader refuses before trusting a field."""

from __future__ import annotations

import pytest

from eportfolio import crypto as c
from tests.crypto.keys import person

TEXT = "Ik ga akkoord dat mijn programma mijn scores gebruikt."


def sign(**fields: object) -> bytes:
    her = person("python", "participant")
    values: dict[str, object] = {"programme_id": "programme-a", "kind": "agree", "text": TEXT, "language": "nl"}
    values.update(fields)
    return c.sign_score_consent(her, serial=values.pop("serial", 5), **values)  # type: ignore[arg-type]


def test_her_statement_verifies_under_her_key_with_its_fields() -> None:
    her = person("python", "participant")
    statement = c.verify_score_consent(sign(kind="withdraw", serial=2**53 - 1), her.person.ed25519_public)
    assert (statement.kind, statement.serial, statement.person_id) == ("withdraw", 2**53 - 1, her.user_id)
    assert statement.text_sha256 == c.consent_text_sha256(f"  {TEXT}\n")
    assert c.read_score_consent(sign()).kind == "agree"


@pytest.mark.parametrize(
    "fields",
    [{"kind": "maybe"}, {"serial": 0}, {"serial": 2**53}, {"language": "nl-nl-nl-nl"}, {"programme_id": ""}],
)
def test_a_statement_that_breaks_a_rule_is_not_made(fields: dict[str, object]) -> None:
    with pytest.raises(c.CryptoError):
        sign(**fields)


def test_another_key_a_changed_byte_or_trailing_bytes_are_refused() -> None:
    her = person("python", "participant")
    coach = person("python", "coach")
    data = sign()
    with pytest.raises(c.CryptoError):
        c.verify_score_consent(data, coach.person.ed25519_public)
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        with pytest.raises(c.CryptoError):
            c.verify_score_consent(bytes(changed), her.person.ed25519_public)
    with pytest.raises(c.CryptoError):
        c.verify_score_consent(data + b"\x00", her.person.ed25519_public)
