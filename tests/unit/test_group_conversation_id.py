"""A group's conversation id is derived from its programme and group, the same in both
implementations (docs/crypto-spec.md 8): the browser checks it before a signed member list counts."""

import uuid

import pytest

from eportfolio import crypto


def test_the_derived_id_is_the_one_the_browser_derives() -> None:
    programme, group = "0b0e3a9e-1111-4a4a-8a8a-000000000001", "0b0e3a9e-2222-4a4a-8a8a-000000000002"
    # tests/crypto/js/lying-group-binding.test.mjs pins the same value for the JavaScript twin.
    assert crypto.group_conversation_id(programme, group) == "cee8bded-f0bf-8aa0-adc2-a9451425c6d2"
    assert uuid.UUID(crypto.group_conversation_id(programme, group)).version == 8
    assert crypto.group_conversation_id(programme, group) != crypto.group_conversation_id(group, programme)


def test_an_empty_id_is_refused() -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.group_conversation_id("", "group")
