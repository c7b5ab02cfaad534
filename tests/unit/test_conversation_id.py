"""A conversation's id is derived from its kind, programme and subject, the same in both
implementations (docs/crypto-spec.md 8): the browser checks it before it trusts what the server
says the conversation is."""

import uuid

import pytest

from eportfolio import crypto

PROGRAMME, SUBJECT = "0b0e3a9e-1111-4a4a-8a8a-000000000001", "0b0e3a9e-2222-4a4a-8a8a-000000000002"


def test_the_derived_id_is_the_one_the_browser_derives() -> None:
    # tests/crypto/js/lying-group-binding.test.mjs pins the same values for the JavaScript twin.
    assert crypto.conversation_id("coaching", PROGRAMME, SUBJECT) == "0b58b468-bd1f-8659-876b-ebec255c0360"
    assert crypto.conversation_id("group", PROGRAMME, SUBJECT) == "566b3872-3d1c-8e62-83e9-662c04b60fb7"
    assert crypto.conversation_id("supervision", PROGRAMME, SUBJECT) == "375b958d-e165-85d4-adfd-da4dee5b630f"
    assert uuid.UUID(crypto.conversation_id("group", PROGRAMME, SUBJECT)).version == 8
    assert crypto.conversation_id("group", PROGRAMME, SUBJECT) != crypto.conversation_id("group", SUBJECT, PROGRAMME)


def test_an_empty_id_or_another_kind_is_refused() -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.conversation_id("group", "", SUBJECT)
    with pytest.raises(crypto.CryptoError):
        crypto.conversation_id("portfolio", PROGRAMME, SUBJECT)
