"""The conversation, independent of Telegram: what the bot says and which buttons it offers.

The Telegram handlers and the console chat both call this module, so the two can never
drift apart. Texts come from `knowledge/messages.yaml` (`bot.core.messages.Texts`); what a
typed message gets (answer, "did you mean", nothing, small talk) is built in
`bot.core.asking`. Button actions are short strings (Telegram callback data, at most 64 bytes):

  a:<entry id>         show that answer
  c:<entry id>         the user picked this entry from a "did you mean" list
  m:<page>             the topic menu, page n
  t:<topic id>:<page>  the entries of one topic, page n
  l                    ask a lawyer
  l:q                  ask a lawyer, carrying the question the bot could not answer
  v:+:<entry id>       👍 under that answer (v:- for 👎); v:ok is the inert thank-you button
                       ("f:" is taken by the hand-off's follow-up button)

Anything else is rejected by `parse_action`, so forged callback data cannot reach a lookup.
"""

from __future__ import annotations

from bot.core.asking import Asking
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.messages import Lang, Texts
from bot.core.render import AnswerExtras, render_entry, render_firm_contact
from bot.core.replies import (
    FEEDBACK_PREFIX,
    LAWYER,
    LAWYER_WITH_QUESTION,
    MAX_RELATED,
    Action,
    Button,
    Reply,
    ReplyKind,
    Rows,
    after_feedback,
    feedback_row,
    pager,
    parse_action,
)

__all__ = [
    "FEEDBACK_PREFIX",
    "LAWYER",
    "LAWYER_WITH_QUESTION",
    "WELCOME_TOPICS",
    "Action",
    "Button",
    "Dialog",
    "Reply",
    "ReplyKind",
    "Rows",
    "after_feedback",
    "feedback_row",
    "parse_action",
]

TOPICS_PER_PAGE = 8
ENTRIES_PER_PAGE = 6
WELCOME_TOPICS = (
    "noon-deadline",
    "door-visit",
    "collector-identity",
    "late-payment",
    "credit-report",
    "cannot-pay",
)


class Dialog:
    """What the bot replies to each kind of input."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, as_html: bool = True) -> None:
        self.kb = kb
        self.matcher = matcher
        self.as_html = as_html

    def texts(self, lang: Lang = "zh") -> Texts:
        return Texts(self.kb.messages, lang, self.as_html)

    def bottom_row(self, lang: Lang = "zh", lawyer: str = LAWYER) -> tuple[Button, ...]:
        """The last row under every reply that has buttons: ask a lawyer, all topics."""
        t = self.texts(lang)
        return (Button(t.label("button.lawyer"), lawyer), Button(t.label("button.topics"), "m:0"))

    def topic_rows(self, topic_ids: tuple[str, ...], lang: Lang = "zh") -> list[tuple[Button, ...]]:
        return [
            (Button(topic.zh, f"t:{topic.id}:0"),)
            for tid in topic_ids
            if (topic := self.kb.topic(tid)) is not None and self.kb.entries_in(tid)
        ]

    # -- fixed messages -----------------------------------------------------------------

    def welcome(self, lang: Lang = "zh") -> Reply:
        text = self.texts(lang)("welcome", firm=self.firm_name(lang))
        rows = [*self.topic_rows(WELCOME_TOPICS, lang), self.bottom_row(lang)]
        return Reply(text, "info", tuple(rows))

    def firm_name(self, lang: Lang = "zh") -> str:
        return self.kb.firm.name_en if lang == "en" and self.kb.firm.name_en else self.kb.firm.name

    def help(self, lang: Lang = "zh") -> Reply:
        return Reply(self.texts(lang)("help", firm=self.firm_name(lang)), "info", (self.bottom_row(lang),))

    def privacy(self, retention_days: int = 180, lang: Lang = "zh") -> Reply:
        return Reply(self.texts(lang)("privacy", retention_days=retention_days), "info")

    def lawyer(self, lang: Lang = "zh") -> Reply:
        """The firm's details (groups, and the console before its form existed)."""
        t = self.texts(lang)
        text = render_firm_contact(self.kb.firm, t)
        return Reply(text, "info", ((Button(t.label("button.topics"), "m:0"),),))

    def non_text(self, lang: Lang = "zh") -> Reply:
        t = self.texts(lang)
        return Reply(t("non_text"), "info", ((Button(t.label("button.topics"), "m:0"),),))

    def invalid_action(self, lang: Lang = "zh") -> Reply:
        t = self.texts(lang)
        return Reply(t("invalid"), "invalid", ((Button(t.label("button.topics"), "m:0"),),))

    # -- answers ------------------------------------------------------------------------

    def answer(
        self,
        entry_id: str,
        lang: Lang = "zh",
        extras: AnswerExtras | None = None,
        offer: tuple[str, ...] = (),
    ) -> Reply:
        """An entry's answer with up to 3 entries as buttons (`offer` first, then its related
        entries), the 👍/👎 row and the bottom row."""
        entry = self.kb.entry(entry_id)
        if entry is None:
            return self.invalid_action(lang)
        if lang == "en" and extras is None:
            extras = AnswerExtras(english_topic=self._topic_en(entry))
        rows: list[tuple[Button, ...]] = []
        for rid in dict.fromkeys((*offer, *entry.related)):
            other = self.kb.entry(rid)
            if other is not None and other.id != entry.id and len(rows) < MAX_RELATED:
                rows.append((Button(other.label, f"a:{other.id}"),))
        rows.append(feedback_row(entry.id, self.texts(lang)))
        rows.append(self.bottom_row(lang))
        text = render_entry(entry, self.kb, self.as_html, extras)
        return Reply(text, "answer", tuple(rows), entry_id=entry.id)

    def _topic_en(self, entry: Entry) -> str:
        topic = self.kb.topic(entry.topic)
        return topic.en if topic is not None and topic.en else entry.topic

    def ask(self, text: str, lang: Lang = "zh") -> Reply:
        """Reply to a free-text message: an answer, "did you mean", nothing, or small talk."""
        return Asking(self).reply(self.matcher.match(text), lang)

    # -- browsing -----------------------------------------------------------------------

    def topics_menu(self, page: int = 0, lang: Lang = "zh") -> Reply:
        t = self.texts(lang)
        topics = [topic for topic in self.kb.topics if self.kb.entries_in(topic.id)]
        pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        chunk = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
        rows = [
            tuple(Button(topic.zh, f"t:{topic.id}:0") for topic in chunk[i : i + 2])
            for i in range(0, len(chunk), 2)
        ]
        rows.append(pager("m:", page, pages, t))
        text = t("menu.topics", page=page + 1, pages=pages)
        return Reply(text, "menu", tuple(r for r in rows if r))

    def topic_page(self, topic_id: str, page: int = 0, lang: Lang = "zh") -> Reply:
        t = self.texts(lang)
        topic = self.kb.topic(topic_id)
        entries = self.kb.entries_in(topic_id)
        if topic is None or not entries:
            return self.invalid_action(lang)
        pages = max(1, -(-len(entries) // ENTRIES_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        first = page * ENTRIES_PER_PAGE
        chunk = entries[first : first + ENTRIES_PER_PAGE]
        rows: list[tuple[Button, ...]] = [
            (Button(t.label("button.numbered", number=first + i + 1, label=e.label), f"a:{e.id}"),)
            for i, e in enumerate(chunk)
        ]
        rows.append(pager(f"t:{topic_id}:", page, pages, t))
        rows.append((Button(t.label("button.topics_back"), "m:0"),))
        name = topic.en if lang == "en" and topic.en else topic.zh
        head = (
            t("menu.topic_paged", topic=name, page=page + 1, pages=pages)
            if pages > 1
            else t("menu.topic", topic=name)
        )
        listing = [t("menu.entry", number=first + i + 1, title=e.title) for i, e in enumerate(chunk)]
        return Reply("\n".join([head, "", *listing]), "menu", tuple(r for r in rows if r))

    def start(self, payload: str | None, lang: Lang = "zh") -> Reply:
        """/start, optionally with a deep-link payload naming an entry."""
        if payload and self.kb.entry(payload) is not None:
            return self.answer(payload, lang)
        return self.welcome(lang)

    def act(self, data: str | None, lang: Lang = "zh") -> Reply | None:
        """Reply to a button; None when the action is the lawyer hand-off (the shell owns it)."""
        action = parse_action(data)
        if action is None:
            return self.invalid_action(lang)
        if action.kind in ("answer", "choice"):
            return self.answer(action.entry_id, lang)
        if action.kind == "menu":
            return self.topics_menu(action.page, lang)
        if action.kind == "topic":
            return self.topic_page(action.topic_id, action.page, lang)
        if action.kind == "feedback":
            return Reply(self.texts(lang)("feedback.thanks"), "info")
        return None
