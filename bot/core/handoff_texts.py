"""The hand-off's texts: the firm's card, receipts, relays, notices, /mycases, /forget.

Words from `knowledge/messages.yaml` (`Texts`), values escaped once by `Texts`; the only HTML
built here is the firm card's link to the borrower, from an escaped name. The firm sees the
borrower's text unmasked (they agreed to share it); logs never do. Texts for the firm are in
Chinese; texts for the borrower follow the `Texts` they are given.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Literal

from bot.core.handoff import Enquiry
from bot.core.intake import fact_items
from bot.core.knowledge import Firm
from bot.core.markup import esc
from bot.core.messages import Texts
from bot.core.replies import Button, Reply, Rows

SNIPPET_CHARS = 30


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def status_text(enquiry: Enquiry, t: Texts) -> str:
    if enquiry.status == "open" and enquiry.delivery in ("pending", "sending", "uncertain", "dead"):
        return t.plain(f"delivery.{enquiry.delivery}")
    return t.plain(f"status.{enquiry.status}")


def firm_card(enquiry: Enquiry, t: Texts, possible_duplicate: bool = False) -> Reply:
    """The message the firm's intake chat receives for a new enquiry, with take/close buttons."""
    who = esc(enquiry.user_name or t.plain("card.unnamed"))
    mention = f'<a href="tg://user?id={enquiry.user_id}">{who}</a>'
    if enquiry.username:
        mention += f" @{esc(enquiry.username)}"
    lines = [t("card.duplicate"), ""] if possible_duplicate else []
    lines += [
        t("card.title", ref=enquiry.ref),
        f"{t('card.user')}：{mention}（ID {enquiry.user_id}）",
        t("card.submitted", when=_when(enquiry.created_at)),
    ]
    lines += [t("intake.summary_fact", label=t.plain(key), value=value) for key, value in fact_items(enquiry) if value]
    lines.append(t("card.last_answer", answer=enquiry.last_answer or t.plain("intake.no_answer")))
    lines += ["", t("card.question"), esc(enquiry.question, t.as_html), ""]
    status = t.plain(f"status.{enquiry.status}") + (f"（{enquiry.handled_by}）" if enquiry.handled_by else "")
    lines.append(t("card.status", status=status))
    lines.append(t("card.hint"))
    return Reply("\n".join(lines), "info", firm_buttons(enquiry, t))


def firm_buttons(enquiry: Enquiry, t: Texts) -> Rows:
    if enquiry.status == "closed":
        return ()
    row: list[Button] = []
    if enquiry.status == "open":
        row.append(Button(t.label("button.take"), f"e:t:{enquiry.id}"))
    row.append(Button(t.label("button.close"), f"e:x:{enquiry.id}"))
    return (tuple(row),)


def receipt(enquiry: Enquiry, firm: Firm, t: Texts) -> Reply:
    """The reference and what happens next; office hours and a phone only if firm.yaml has them."""
    parts = [t("receipt", ref=enquiry.ref)]
    if firm.office_hours:
        parts.append(t("receipt.hours", hours=firm.office_hours))
    parts.append(t("receipt.urgent_phone", phone=firm.phone) if firm.phone else t("receipt.urgent"))
    return Reply("\n\n".join(parts), "info", ((Button(t.label("button.followup"), f"f:{enquiry.id}"),),))


def relay_to_user(enquiry: Enquiry, text: str | None, t: Texts) -> str:
    header, footer = t("relay.to_user", ref=enquiry.ref), t("relay.to_user_footer")
    return f"{header}\n\n{esc(text)}\n\n{footer}" if text else f"{header}\n{footer}"


def relay_to_firm(enquiry: Enquiry, text: str | None, t: Texts) -> str:
    header = t("relay.to_firm", ref=enquiry.ref)
    return f"{header}\n\n{esc(text)}" if text else header


def status_notice(enquiry: Enquiry, t: Texts) -> str:
    if enquiry.status == "taken":
        return t("notice.taken", ref=enquiry.ref)
    if enquiry.status == "closed":
        return t("notice.closed", ref=enquiry.ref)
    return t("notice.status", ref=enquiry.ref, status=status_text(enquiry, t))


def my_cases(enquiries: Sequence[Enquiry], t: Texts) -> Reply:
    if not enquiries:
        return Reply(t("cases.none"), "info")
    lines = [t("cases.title"), ""]
    for e in enquiries[:20]:
        snippet = e.question if len(e.question) <= SNIPPET_CHARS else e.question[:SNIPPET_CHARS] + "…"
        lines.append(
            t("cases.item", ref=e.ref, when=_when(e.created_at), status=status_text(e, t), question=snippet)
        )
    lines += ["", t("cases.footer")]
    return Reply("\n".join(lines), "info")


def forget_question(t: Texts) -> Reply:
    buttons = ((Button(t.label("button.forget_yes"), "g:yes"), Button(t.label("button.cancel"), "g:no")),)
    return Reply(t("forget.question"), "info", buttons)


def forget_done(deleted: Mapping[str, int], refs_at_firm: Sequence[str], t: Texts) -> Reply:
    items = [t("forget.item", label=label, count=count) for label, count in deleted.items() if count]
    text = "\n".join([t("forget.done"), *items]) if items else t("forget.nothing")
    if refs_at_firm:
        text += "\n\n" + t("forget.at_firm", refs="、".join(f"#{r}" for r in refs_at_firm))
    return Reply(text, "info")


def firm_forget_notice(refs: Sequence[str], t: Texts) -> str:
    return t("firm.forget_notice", refs="、".join(f"#{r}" for r in refs))


def not_routed(reason: Literal["notice", "deleted", "unknown"], t: Texts) -> str:
    """The answer to a reply, in the firm chat, to a bot message that belongs to no enquiry."""
    return t("firm.not_routed") + t(f"firm.not_routed_{reason}")


def undelivered(enquiry: Enquiry, to_firm: bool, reason: str, t: Texts) -> str:
    """Told to whoever wrote a message that the outbox had to give up on."""
    key = "firm.undelivered_to_firm" if to_firm else "firm.undelivered_to_user"
    return t(key, ref=enquiry.ref, reason=reason)
