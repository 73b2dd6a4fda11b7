"""The hand-off to the law firm, independent of Telegram: the enquiry, what the outbox carries, texts.

The enquiry is defined once: `IntakeData` (bot.core.intake) holds what the borrower fills in,
`NewEnquiry` adds who they are, `Enquiry` adds what storage keeps about it. The outbox carries
one of four typed payloads (`Card`, `Text`, `Photo`, `Copy`); storage keeps them as JSON and
`payload_to_dict` / `payload_from_dict` convert at that boundary.

Every text here is Telegram HTML built from escaped user text, so nothing a borrower or a
lawyer types can break the parser. The firm sees the borrower's text unmasked (they agreed
to share it); logs never do.
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.dialog import Button, Reply
from bot.core.intake import IntakeData, facts
from bot.core.knowledge import Firm

EnquiryStatus = Literal["open", "taken", "answered", "closed"]
OutboxState = Literal["pending", "sending", "sent", "uncertain", "dead"]

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
STATUS_ZH = {"open": "等待律师查看", "taken": "律师已接手", "answered": "律所已回复", "closed": "已结案"}
DELIVERY_ZH = {
    "pending": "排队中，尚未送达律所",
    "sending": "正在送达律所",
    "uncertain": "正在核实是否已送达律所",
    "dead": "送达律所遇到问题，管理员正在处理",
}
NOT_AN_ENQUIRY = "这条消息不属于任何咨询"


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


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def new_ref() -> str:
    """A short reference the borrower can quote, e.g. K7P3QX."""
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def status_text(enquiry: Enquiry) -> str:
    if enquiry.status == "open" and enquiry.delivery in DELIVERY_ZH:
        return DELIVERY_ZH[enquiry.delivery]
    return STATUS_ZH.get(enquiry.status, enquiry.status)


def firm_card(enquiry: Enquiry, possible_duplicate: bool = False) -> Reply:
    """The message the firm's intake chat receives for a new enquiry, with take/close buttons."""
    who = _esc(enquiry.user_name or "（未填写名称）")
    mention = f'<a href="tg://user?id={enquiry.user_id}">{who}</a>'
    if enquiry.username:
        mention += f" @{_esc(enquiry.username)}"
    lines = []
    if possible_duplicate:
        lines += ["⚠️ 上次发送时网络超时，此条可能与之前的消息重复；如已收到同一编号，请忽略。", ""]
    lines += [
        f"<b>📨 新咨询 #{enquiry.ref}</b>",
        f"用户：{mention}（ID {enquiry.user_id}）",
        f"提交时间：{_when(enquiry.created_at)}",
    ]
    lines += [f"{label}：{_esc(value)}" for label, value in facts(enquiry) if value]
    lines.append(f"用户最后看到的回答：{_esc(enquiry.last_answer or '（无）')}")
    lines += ["", "<b>问题：</b>", _esc(enquiry.question), ""]
    status = STATUS_ZH.get(enquiry.status, enquiry.status)
    if enquiry.handled_by:
        status += f"（{_esc(enquiry.handled_by)}）"
    lines.append(f"状态：{status}")
    lines.append("直接<b>回复本消息</b>即可把答复转给用户（用户看到的是“律所回复”，看不到您的名字）。")
    return Reply("\n".join(lines), "info", firm_buttons(enquiry))


def firm_buttons(enquiry: Enquiry) -> tuple[tuple[Button, ...], ...]:
    if enquiry.status == "closed":
        return ()
    eid = enquiry.id
    row: list[Button] = []
    if enquiry.status == "open":
        row.append(Button("✋ 接手", f"e:t:{eid}"))
    row.append(Button("✅ 结案", f"e:x:{eid}"))
    return (tuple(row),)


def receipt(enquiry: Enquiry, firm: Firm) -> Reply:
    """What the borrower sees after confirming: the reference, what happens next, the hours."""
    hours = f"律所办公时间：{_esc(firm.office_hours)}。" if firm.office_hours else "律所会在工作时间内处理。"
    text = (
        f"<b>已收到，您的咨询编号是 #{enquiry.ref}</b>\n\n"
        "您的咨询已保存，并已排队转交给律所；律所一收到就会看到。"
        f"{hours}律师的回复会通过这个对话发给您。\n\n"
        "要补充情况，请<b>回复本消息</b>（或律所发来的消息）。"
        "发送 /mycases 查看进度，/forget 删除您的数据。\n\n"
        "如情况紧急（例如已收到法院传票、开庭在即），请同时直接联系律所或拨打 12348。"
    )
    return Reply(text, "info", ((Button("✍️ 补充情况", f"f:{enquiry.id}"),),))


def relay_to_user(enquiry: Enquiry, text: str | None) -> str:
    header = f"<b>⚖️ 律所回复（咨询 #{enquiry.ref}）</b>"
    footer = "（回复本消息即可继续与律师沟通）"
    return f"{header}\n\n{_esc(text)}\n\n{footer}" if text else f"{header}\n{footer}"


def relay_to_firm(enquiry: Enquiry, text: str | None) -> str:
    header = f"<b>💬 用户补充（#{enquiry.ref}）</b>"
    return f"{header}\n\n{_esc(text)}" if text else header


def status_notice(enquiry: Enquiry) -> str:
    if enquiry.status == "taken":
        return f"律师已接手您的咨询 #{enquiry.ref}，请留意这里的回复。"
    if enquiry.status == "closed":
        return (
            f"您的咨询 #{enquiry.ref} 已结案。如还有新的问题，可以发送 /lawyer 再次咨询。"
            "咨询记录会按 /privacy 中说明的期限删除，也可以发送 /forget 立即删除。"
        )
    return f"您的咨询 #{enquiry.ref}：{status_text(enquiry)}"


def my_cases(enquiries: Sequence[Enquiry]) -> Reply:
    if not enquiries:
        return Reply("您还没有提交过律师咨询。需要时发送 /lawyer。", "info")
    lines = ["<b>我的咨询</b>", ""]
    for e in enquiries[:20]:
        snippet = e.question if len(e.question) <= 30 else e.question[:30] + "…"
        lines.append(f"#{e.ref} · {_when(e.created_at)} · {status_text(e)}\n　{_esc(snippet)}")
    lines += ["", "要补充情况，请回复律所发来的消息。发送 /forget 可删除全部记录。"]
    return Reply("\n".join(lines), "info")


def forget_question() -> Reply:
    text = (
        "<b>删除我的数据</b>\n\n将删除我们保存的与您有关的全部数据：律师咨询、与律所往来的消息、未提交的填写内容"
        "等。删除后无法恢复，律所也无法再通过本机器人回复您。确定删除吗？"
    )
    return Reply(text, "info", ((Button("确定删除", "g:yes"), Button("取消", "g:no")),))


def forget_done(deleted: Mapping[str, int], refs_at_firm: Sequence[str]) -> Reply:
    items = [f"• {label}：{count} 条" for label, count in deleted.items() if count]
    text = "已删除：\n" + "\n".join(items) if items else "我们没有保存与您有关的数据，无需删除。"
    if refs_at_firm:
        refs = "、".join(f"#{r}" for r in refs_at_firm)
        text += (
            f"\n\n已送到律所群的咨询（{refs}）由律所保管；我们已通知律所您要求删除，如需确认请直接联系律所。"
        )
    return Reply(text, "info")


def firm_forget_notice(refs: Sequence[str]) -> str:
    refs_text = "、".join(f"#{r}" for r in refs)
    return (
        f"ℹ️ 咨询 {refs_text} 的用户已要求删除其数据，机器人已删除相关记录，请按律所规定处理本群中的相关消息。"
    )


def not_routed(reason: Literal["notice", "deleted", "unknown"]) -> str:
    """The answer to a reply, in the firm chat, to a bot message that belongs to no enquiry."""
    if reason == "notice":
        return f"{NOT_AN_ENQUIRY}（这是机器人的通知），没有转达给任何用户。"
    if reason == "deleted":
        return f"{NOT_AN_ENQUIRY}：该咨询已删除（用户已删除数据或已过保存期限），没有转达。"
    return f"{NOT_AN_ENQUIRY}，没有转达。要答复用户，请回复该咨询的卡片（📨 新咨询 #编号）。"


def undelivered(enquiry: Enquiry, to_firm: bool, reason: str) -> str:
    """Told to whoever wrote a message that the outbox had to give up on."""
    if to_firm:
        return (
            f"⚠️ 您为咨询 #{enquiry.ref} 补充的内容没能送达律所（{_esc(reason)}）。"
            "请稍后重新发送，或直接联系律所。"
        )
    return f"⚠️ 这条回复没能转给咨询 #{enquiry.ref} 的用户（{_esc(reason)}）。"
