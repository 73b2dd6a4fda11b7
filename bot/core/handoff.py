"""The hand-off to the law firm, independent of Telegram: the enquiry and what the outbox carries.

The enquiry is defined once: `IntakeData` (bot.core.intake) holds what the borrower fills in,
`NewEnquiry` adds who they are, `Enquiry` adds what storage keeps about it. The outbox carries
one of four typed payloads (`Card`, `Text`, `Photo`, `Copy`); storage keeps them as JSON and
`payload_to_dict` / `payload_from_dict` convert at that boundary.

The texts built from them (the firm's card, receipts, relays, notices) are in
`bot.core.handoff_texts`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.intake import IntakeData

EnquiryStatus = Literal["open", "taken", "answered", "closed"]
OutboxState = Literal["pending", "sending", "sent", "uncertain", "dead"]

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True, kw_only=True)
class NewEnquiry(IntakeData):
    """What the borrower confirmed, and who they are; written before anything is sent."""

    user_id: int
    chat_id: int
    user_name: str
    username: str = ""


@dataclass(frozen=True, kw_only=True)
class Enquiry(NewEnquiry):
    id: int
    ref: str
    status: EnquiryStatus
    handled_by: str
    firm_chat_id: int | None
    firm_message_id: int | None
    firm_thread_id: int | None
    created_at: float
    updated_at: float
    closed_at: float | None
    delivery: OutboxState | None = None  # state of the enquiry's card in the outbox


# -- what the outbox carries -------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class Card:
    """The enquiry's card for the firm, rendered from the stored enquiry when it is sent."""


@dataclass(frozen=True)
class Text:
    text: str  # Telegram HTML
    # The message whose words these are (a lawyer's reply, a borrower's follow-up): its author
    # is told if they cannot be delivered.
    origin: MessageRef | None = None
    ack: bool = False  # react 👍 on `origin` once delivered
    reply_button: bool = False  # "✍️ 回复律师" under it (borrower side)
    reply_to: int | None = None  # reply to this message of the target chat instead of the card


@dataclass(frozen=True)
class Photo:
    file_id: str
    caption: str = ""  # Telegram HTML
    origin: MessageRef | None = None


@dataclass(frozen=True)
class Copy:
    """Any other message (document, voice, photo with caption …), copied with a new caption."""

    source: MessageRef
    caption: str | None = None  # Telegram HTML; None keeps the original caption
    origin: MessageRef | None = None
    ack: bool = False
    reply_button: bool = False


Payload = Card | Text | Photo | Copy


def _ref(raw: Any) -> MessageRef | None:
    return MessageRef(int(raw[0]), int(raw[1])) if raw else None


def payload_to_dict(payload: Payload) -> tuple[str, dict[str, Any]]:
    """(kind, JSON-able dict) as storage keeps it; empty fields are left out."""
    if isinstance(payload, Card):
        return "card", {}
    data: dict[str, Any] = {}
    if isinstance(payload, Text):
        kind, data["text"] = "text", payload.text
    elif isinstance(payload, Photo):
        kind, data["file_id"], data["caption"] = "photo", payload.file_id, payload.caption
    else:
        kind = "copy"
        data["from_chat_id"], data["message_id"] = payload.source.chat_id, payload.source.message_id
        data["caption"] = payload.caption
    if payload.origin is not None:
        data["origin"] = [payload.origin.chat_id, payload.origin.message_id]
    if getattr(payload, "ack", False):
        data["ack"] = True
    if getattr(payload, "reply_button", False):
        data["followup_button"] = True
    if isinstance(payload, Text) and payload.reply_to is not None:
        data["reply_to"] = payload.reply_to
    return kind, data


def payload_from_dict(kind: str, data: Mapping[str, Any]) -> Payload:
    """The typed payload of a stored row; ValueError if it is not one we wrote."""
    try:
        # Rows written before payloads were typed kept the lawyer's message in "ack".
        legacy_ack = data.get("ack") if isinstance(data.get("ack"), list) else None
        origin = _ref(data.get("origin") or legacy_ack)
        ack = bool(data.get("ack"))
        button = bool(data.get("followup_button"))
        if kind == "card":
            return Card()
        if kind == "text":
            reply_to = data.get("reply_to")
            return Text(str(data["text"]), origin, ack, button, int(reply_to) if reply_to else None)
        if kind == "photo":
            return Photo(str(data["file_id"]), str(data.get("caption") or ""), origin)
        if kind == "copy":
            caption = data.get("caption")
            source = MessageRef(int(data["from_chat_id"]), int(data["message_id"]))
            return Copy(source, None if caption is None else str(caption), origin, ack, button)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed {kind} payload: {exc}") from exc
    raise ValueError(f"unknown payload kind {kind!r}")


def new_ref() -> str:
    """A short reference the borrower can quote, e.g. K7P3QX."""
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
