"""Outbox payloads: typed in the core, JSON in storage, and rows written before still readable."""

import pytest

from bot.core.handoff import (
    Card,
    Copy,
    Enquiry,
    MessageRef,
    NewEnquiry,
    Photo,
    Text,
    payload_from_dict,
    payload_to_dict,
)
from bot.core.intake import IntakeData


@pytest.mark.parametrize(
    "payload",
    [
        Card(),
        Text("<b>x</b>"),
        Text("t", MessageRef(-100, 7), ack=True, reply_button=True, reply_to=9),
        Photo("file-1"),
        Photo("file-1", "<b>c</b>", MessageRef(5, 6)),
        Copy(MessageRef(-100, 7)),
        Copy(MessageRef(-100, 7), "cap", MessageRef(-100, 7), ack=True, reply_button=True),
    ],
)
def test_round_trip(payload):
    kind, data = payload_to_dict(payload)
    assert payload_from_dict(kind, data) == payload


def test_rows_from_before_typed_payloads_still_load():
    legacy = {"text": "<b>律所回复</b>", "ack": [-100777, 12], "followup_button": True}
    assert payload_from_dict("text", legacy) == Text(
        "<b>律所回复</b>", MessageRef(-100777, 12), ack=True, reply_button=True
    )
    copy = {"from_chat_id": -1, "message_id": 2, "caption": None, "ack": [-1, 2], "followup_button": True}
    assert payload_from_dict("copy", copy) == Copy(MessageRef(-1, 2), None, MessageRef(-1, 2), True, True)


@pytest.mark.parametrize(
    ("kind", "data"), [("text", {}), ("photo", {"caption": "x"}), ("copy", {}), ("nope", {})]
)
def test_a_malformed_row_is_refused(kind, data):
    with pytest.raises(ValueError):
        payload_from_dict(kind, data)


def test_the_enquiry_is_defined_once():
    facts = set(IntakeData.__dataclass_fields__)
    assert facts <= set(NewEnquiry.__dataclass_fields__) <= set(Enquiry.__dataclass_fields__)
    with pytest.raises(TypeError):
        NewEnquiry(1, 1, "名", "u", "q")  # type: ignore[misc]  # keywords only: no silent mix-up
