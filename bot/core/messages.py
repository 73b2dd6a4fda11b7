"""The bot's own words (`knowledge/messages.yaml`): which texts exist, and how one is rendered.

`SPECS` is the contract between the code and the file: every key the code says, with the
placeholders its text must hold. `bot.core.knowledge_messages` checks the file against it
(unknown or missing keys, placeholders that don't match, HTML where text is escaped), so a
maintainer's mistake is reported with its line instead of surfacing as a wrong reply.

`Texts` renders one key for one audience: Chinese or English (English where the file has it,
else Chinese), Telegram HTML or plain console text. Button labels are plain text on Telegram
too (they are not parsed as HTML), so `label()` never escapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from bot.core.markup import fill
from bot.core.model import Message

Lang = Literal["zh", "en"]
BUTTON_PREFIX = "button."
MAX_BUTTON_CHARS = {"zh": 14, "en": 24}
# Keys whose text is only ever shown in English (to English speakers).
ENGLISH_ONLY = frozenset({"answer.english_lead"})

_NONE: tuple[str, ...] = ()
SPECS: dict[str, tuple[str, ...]] = {
    # buttons
    "button.lawyer": _NONE,
    "button.topics": _NONE,
    "button.topics_back": _NONE,
    "button.helpful": _NONE,
    "button.not_helpful": _NONE,
    "button.thanks_helpful": _NONE,
    "button.thanks_not_helpful": _NONE,
    "button.previous": _NONE,
    "button.next": _NONE,
    "button.numbered": ("number", "label"),
    "button.agree": _NONE,
    "button.decline": _NONE,
    "button.skip": _NONE,
    "button.events_done": _NONE,
    "button.use_question": _NONE,
    "button.confirm": _NONE,
    "button.cancel": _NONE,
    "button.send_to_lawyer": _NONE,
    "button.send_to_case": ("ref",),
    "button.new_question": _NONE,
    # fixed replies
    "welcome": ("firm",),
    "help": ("firm",),
    "privacy": ("retention_days",),
    "non_text": _NONE,
    "invalid": _NONE,
    "invalid.toast": _NONE,
    "feedback.thanks": _NONE,
    # the firm's details (/lawyer and the consent step); a line is shown only when filled in
    "firm.website": ("value",),
    "firm.phone": ("value",),
    "firm.email": ("value",),
    "firm.wechat": ("value",),
    "firm.address": ("value",),
    "firm.office_hours": ("value",),
    # browsing
    "menu.topics": ("page", "pages"),
    "menu.topic": ("topic",),
    "menu.topic_paged": ("topic", "page", "pages"),
    "menu.entry": ("number", "title"),
    # an answer
    "answer.fold": _NONE,
    "answer.legal_basis": _NONE,
    "answer.footer": ("disclaimer",),
    "answer.lender_note": ("lender", "note"),
    "answer.concerns": ("concerns",),
    "answer.english_lead": ("topic",),
    # unsure, nothing, small talk
    "clarify.intro": _NONE,
    "clarify.option": ("number", "title"),
    "clarify.outro": _NONE,
    "none": _NONE,
    "smalltalk.greeting": _NONE,
    "smalltalk.thanks": _NONE,
    "smalltalk.ack": _NONE,
    "smalltalk.laughter": _NONE,
    "smalltalk.bye": _NONE,
    "smalltalk.about": ("firm",),
    "smalltalk.noise": _NONE,
    # the intake (bot.core.intake)
    "intake.consent": ("firm", "retention_days"),
    "intake.consent_contact": _NONE,
    "intake.lender": ("step", "steps"),
    "intake.overdue": ("step", "steps"),
    "intake.events": ("step", "steps"),
    "intake.amount": ("step", "steps"),
    "intake.question": ("step", "steps", "max"),
    "intake.question_prefilled": ("step", "steps", "question"),
    "intake.summary": _NONE,
    "intake.summary_fact": ("label", "value"),
    "intake.summary_photo": _NONE,
    "intake.summary_question": _NONE,
    "intake.declined": _NONE,
    "intake.cancelled": _NONE,
    "intake.timed_out": _NONE,
    "intake.reminder": _NONE,
    "intake.amount_too_long": ("max",),
    "intake.question_too_long": ("length", "max"),
    "intake.photo_received": _NONE,
    "intake.nothing_to_cancel": _NONE,
    "cases.none": _NONE,
    "cases.title": _NONE,
    "fact.lender": _NONE,
    "fact.overdue": _NONE,
    "fact.events": _NONE,
    "fact.amount": _NONE,
    "choice.lender.bank": _NONE,
    "choice.lender.online": _NONE,
    "choice.lender.other": _NONE,
    "choice.overdue.lt1": _NONE,
    "choice.overdue.1to3": _NONE,
    "choice.overdue.3to12": _NONE,
    "choice.overdue.gt12": _NONE,
    "choice.events.family": _NONE,
    "choice.events.work": _NONE,
    "choice.events.visit": _NONE,
    "choice.events.lawsuit": _NONE,
    "choice.events.police": _NONE,
    "choice.events.abuse": _NONE,
    # the lawyer thread (bot.core.thread)
    "thread.offer": ("ref",),
    "thread.offer_several": ("count",),
    "thread.sent": ("ref",),
    "thread.gone": _NONE,
    # the hand-off, borrower side (bot.core.handoff and the shell)
    "status.open": _NONE,
    "status.taken": _NONE,
    "status.answered": _NONE,
    "status.closed": _NONE,
    "delivery.pending": _NONE,
    "delivery.sending": _NONE,
    "delivery.uncertain": _NONE,
    "delivery.dead": _NONE,
    "receipt": ("ref",),
    "receipt.hours": ("hours",),
    "receipt.urgent": _NONE,
    "receipt.urgent_phone": ("phone",),
    "button.followup": _NONE,
    "button.reply_lawyer": _NONE,
    "button.private_chat": _NONE,
    "button.open_in_bot": _NONE,
    "relay.to_user": ("ref",),
    "relay.to_user_footer": _NONE,
    "relay.to_firm": ("ref",),
    "notice.taken": ("ref",),
    "notice.closed": ("ref",),
    "notice.status": ("ref", "status"),
    "cases.item": ("ref", "when", "status", "question"),
    "cases.footer": _NONE,
    "forget.question": _NONE,
    "button.forget_yes": _NONE,
    "forget.done": _NONE,
    "forget.item": ("label", "count"),
    "forget.nothing": _NONE,
    "forget.at_firm": ("refs",),
    "forget.kept": _NONE,
    "followup.closed": ("ref",),
    "followup.prompt": ("ref",),
    "followup.placeholder": _NONE,
    "private_only": _NONE,
    "intake.unavailable": _NONE,
    "intake.rate_limited": ("recent", "limit"),
    "intake.group_pointer": _NONE,
    "intake.expired": _NONE,
    "intake.stale_button": _NONE,
    "intake.no_answer": _NONE,
    "feedback.toast_up": _NONE,
    "feedback.toast_down": _NONE,
    "error": _NONE,
    "group.usage": _NONE,
    "group.no_match": _NONE,
    "command.start": _NONE,
    "command.topics": _NONE,
    "command.lawyer": _NONE,
    "command.mycases": _NONE,
    "command.privacy": _NONE,
    "command.forget": _NONE,
    "command.cancel": _NONE,
    "command.help": _NONE,
    # the hand-off, firm side
    "card.duplicate": _NONE,
    "card.title": ("ref",),
    "card.user": _NONE,
    "card.unnamed": _NONE,
    "card.submitted": ("when",),
    "card.last_answer": ("answer",),
    "card.question": _NONE,
    "card.status": ("status",),
    "card.hint": _NONE,
    "button.take": _NONE,
    "button.close": _NONE,
    "firm.forget_notice": ("refs",),
    "firm.not_routed": _NONE,
    "firm.not_routed_notice": _NONE,
    "firm.not_routed_deleted": _NONE,
    "firm.not_routed_unknown": _NONE,
    "firm.undelivered_to_firm": ("ref", "reason"),
    "firm.undelivered_to_user": ("ref", "reason"),
    "giveup.unreachable": _NONE,
    "giveup.too_long": _NONE,
    "giveup.rejected": _NONE,
    "firm.members_only": _NONE,
    "firm.deleted": _NONE,
    "firm.taken": _NONE,
    "firm.taken_by": ("who",),
    "firm.another_lawyer": _NONE,
    "firm.closed": _NONE,
    "firm.closed_not_relayed": ("ref",),
    # inline search (staff)
    "inline.lawyer_title": ("firm",),
    "inline.lawyer_description": _NONE,
    # /stats (admins)
    "stats.title": ("days", "first"),
    "stats.empty": _NONE,
    "stats.answer": _NONE,
    "stats.clarify": _NONE,
    "stats.none": _NONE,
    "stats.rate": ("label", "n", "pct"),
    "stats.total": ("total", "rates"),
    "stats.choices": ("n",),
    "stats.per_day": _NONE,
    "stats.day": ("day", "n", "answer", "clarify", "none"),
    "stats.top": _NONE,
    "stats.top_item": ("n", "title", "entry"),
    "stats.votes": _NONE,
    "stats.no_votes": _NONE,
    "stats.vote": ("up", "down", "title", "entry"),
    "stats.deleted_entry": _NONE,
    # the outbox (bot/tg/sending.py)
    "outbox.document_note": _NONE,
    "outbox.topic_fallback": _NONE,
    # /gaps (admins)
    "gaps.title": ("total", "groups"),
    "gaps.empty": _NONE,
    "gaps.item": ("n", "size", "users", "question", "others", "closest"),
    "gaps.others": ("count",),
    "gaps.closest": ("title", "entry", "score"),
    "gaps.no_closest": _NONE,
    "gaps.suggestions": _NONE,
    "gaps.suggestion": ("entry", "phrasings"),
    "gaps.footer": _NONE,
    # admin commands and alerts (bot/tg/cases.py, bot/tg/outbox.py)
    "admin.no_database": _NONE,
    "resend.usage": _NONE,
    "resend.done": ("ref", "count"),
    "admin.interrupted": ("items",),
    "admin.item_enquiry": ("ref", "kind"),
    "admin.item_row": ("id",),
    "admin.corrupt": ("id", "error"),
    "admin.firm_down": ("chat", "error", "hint"),
    "admin.firm_migrated": ("chat",),
    "admin.firm_back": _NONE,
    "admin.undeliverable": ("what", "detail"),
    "admin.what_enquiry": ("ref", "kind"),
    # /reload (admins): the outcome
    "reload.refused": ("count", "entries"),
    "reload.problem": ("where", "problem"),
    "reload.done": ("topics", "entries", "phrasings", "before"),
    "reload.added": ("ids",),
    "reload.removed": ("ids",),
    "reload.changed": ("ids",),
    "reload.unchanged": _NONE,
    "reload.warning": ("warning",),
    "reload.files_changed": _NONE,
    "reload.other_instances": ("count",),
    # the console chat (bot/console.py)
    "console.banner": _NONE,
    "console.choose": ("count",),
    "console.case": ("ref", "when", "question"),
    "console.sent": ("ref", "path"),
    "console.no_firm_file": ("ref",),
}


def is_button(key: str) -> bool:
    return key.startswith(BUTTON_PREFIX) or key.startswith("choice.")


class Texts:
    """The bot's words for one audience: `t("welcome", firm=…)`, `t.label("button.lawyer")`."""

    def __init__(self, messages: Mapping[str, Message], lang: Lang = "zh", as_html: bool = True) -> None:
        self.messages = messages
        self.lang: Lang = lang
        self.as_html = as_html

    def template(self, key: str) -> str:
        message = self.messages[key]
        if self.lang == "en" and message.en:
            return message.en
        return message.zh or message.en

    def __call__(self, key: str, **values: object) -> str:
        return fill(self.template(key), values, self.as_html)

    def label(self, key: str, **values: object) -> str:
        """A button label: plain text, whatever the message format."""
        return fill(self.template(key), values, as_html=False)

    def plain(self, key: str, **values: object) -> str:
        return self.label(key, **values)

    def has_english(self, key: str) -> bool:
        return bool(self.messages[key].en)

    def to(self, lang: Lang) -> Texts:
        return self if lang == self.lang else Texts(self.messages, lang, self.as_html)
