"""Texts of the hand-off to the law firm: the firm's card, the borrower's receipts, /mycases.

Everything here is Telegram HTML built from escaped user text, so nothing a borrower or a
lawyer types can break the parser. The firm sees the borrower's text unmasked (they agreed
to share it); logs never do.
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.core.dialog import Button, Reply
from bot.core.intake import facts
from bot.core.knowledge import Firm

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
STATUS_ZH = {"open": "等待律师查看", "taken": "律师已接手", "answered": "律所已回复", "closed": "已结案"}
DELIVERY_ZH = {
    "pending": "排队中，尚未送达律所",
    "sending": "正在送达律所",
    "uncertain": "正在核实是否已送达律所",
    "dead": "送达律所遇到问题，管理员正在处理",
}


class EnquiryLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def ref(self) -> str: ...
    @property
    def user_id(self) -> int: ...
    @property
    def user_name(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def lender(self) -> str: ...
    @property
    def overdue(self) -> str: ...
    @property
    def events(self) -> tuple[str, ...]: ...
    @property
    def amount(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def last_answer(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def handled_by(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def delivery(self) -> str | None: ...


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def new_ref() -> str:
    """A short reference the borrower can quote, e.g. K7P3QX."""
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def status_text(enquiry: EnquiryLike) -> str:
    if enquiry.status == "open" and enquiry.delivery in DELIVERY_ZH:
        return DELIVERY_ZH[enquiry.delivery]
    return STATUS_ZH.get(enquiry.status, enquiry.status)


def firm_card(enquiry: EnquiryLike, possible_duplicate: bool = False) -> Reply:
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


def firm_buttons(enquiry: EnquiryLike) -> tuple[tuple[Button, ...], ...]:
    if enquiry.status == "closed":
        return ()
    eid = enquiry.id
    row: list[Button] = []
    if enquiry.status == "open":
        row.append(Button("✋ 接手", f"e:t:{eid}"))
    row.append(Button("✅ 结案", f"e:x:{eid}"))
    return (tuple(row),)


def receipt(enquiry: EnquiryLike, firm: Firm) -> Reply:
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


def relay_to_user(enquiry: EnquiryLike, text: str | None) -> str:
    header = f"<b>⚖️ 律所回复（咨询 #{enquiry.ref}）</b>"
    footer = "（回复本消息即可继续与律师沟通）"
    return f"{header}\n\n{_esc(text)}\n\n{footer}" if text else f"{header}\n{footer}"


def relay_to_firm(enquiry: EnquiryLike, text: str | None) -> str:
    header = f"<b>💬 用户补充（#{enquiry.ref}）</b>"
    return f"{header}\n\n{_esc(text)}" if text else header


def status_notice(enquiry: EnquiryLike) -> str:
    if enquiry.status == "taken":
        return f"律师已接手您的咨询 #{enquiry.ref}，请留意这里的回复。"
    if enquiry.status == "closed":
        return (
            f"您的咨询 #{enquiry.ref} 已结案。如还有新的问题，可以发送 /lawyer 再次咨询。"
            "咨询记录会按 /privacy 中说明的期限删除，也可以发送 /forget 立即删除。"
        )
    return f"您的咨询 #{enquiry.ref}：{status_text(enquiry)}"


def my_cases(enquiries: Sequence[EnquiryLike]) -> Reply:
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
