"""What a typed message gets: an answer, "did you mean", a kind "not sure", or small talk.

Built on the matcher's decision (`MatchResult`), never changing it:

* small talk (`result.smalltalk`) gets a short, warm reply of its kind, without the legal
  footer: a greeting offers three common topics, thanks says how to ask a lawyer;
* a message that raised several points (`result.concerns`) gets the main point's answer,
  opened by a line naming what was understood ("您提到：限时还款的期限、要上门或去老家"), with
  the other points as buttons;
* an answer adds the note of the lender's kind when the question named a lender, and an
  English line for English speakers;
* "did you mean" opens with one calm line and lists the choices as text too;
* nothing found says what the bot covers, offers /topics and the lawyer, and the lawyer
  button carries the borrower's words into the form (`l:q`).
"""

from __future__ import annotations

import re
from typing import Protocol

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, MatchResult
from bot.core.messages import Lang, Texts
from bot.core.render import AnswerExtras
from bot.core.replies import LAWYER, LAWYER_WITH_QUESTION, Button, Reply


class Conversation(Protocol):
    """What a reply to a typed message is built from: the parts of `bot.core.dialog.Dialog`
    it shares with every other reply (named here so the dialog can use this module without the
    two importing each other)."""

    kb: KnowledgeBase
    matcher: Matcher

    def texts(self, lang: Lang = "zh") -> Texts: ...
    def bottom_row(self, lang: Lang = "zh", lawyer: str = LAWYER) -> tuple[Button, ...]: ...
    def topic_rows(self, topic_ids: tuple[str, ...], lang: Lang = "zh") -> list[tuple[Button, ...]]: ...
    def firm_name(self, lang: Lang = "zh") -> str: ...
    def answer(
        self,
        entry_id: str,
        lang: Lang = "zh",
        extras: AnswerExtras | None = None,
        offer: tuple[str, ...] = (),
    ) -> Reply: ...

# A greeting offers these three (the most asked topics).
COMMON_TOPICS = ("noon-deadline", "door-visit", "contacts-harassment")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def looks_english(text: str) -> bool:
    """Written mainly in English: many more Latin letters than Chinese characters."""
    latin = len(_LATIN.findall(text))
    return latin >= 8 and latin >= 3 * len(_CJK.findall(text))


class Asking:
    def __init__(self, dialog: Conversation) -> None:
        self.dialog = dialog
        self.kb = dialog.kb

    def reply(self, result: MatchResult, lang: Lang = "zh") -> Reply:
        if lang == "zh" and looks_english(result.query):
            lang = "en"
        if result.smalltalk is not None:
            return self.small_talk(result, lang)
        if result.concerns:
            return self.several(result, lang)
        if result.decision == "answer" and result.best is not None:
            return self._answer(result, result.best.entry, lang)
        if result.decision == "clarify":
            return self.clarify(result, lang)
        return self.nothing(result, lang)

    # -- answers ------------------------------------------------------------------------------

    def extras(
        self, result: MatchResult, entry_id: str, lang: Lang, concerns: tuple[str, ...] = ()
    ) -> AnswerExtras:
        entry = self.kb.entry(entry_id)
        topic = self.kb.topic(entry.topic) if entry is not None else None
        english = (topic.en or topic.id) if lang == "en" and topic is not None else ""
        lender, note = "", ""
        if result.facts.lender_type:
            kind = self.kb.lender_type(result.facts.lender_type[0])
            if kind is not None and kind.note:
                lender = result.facts.lender[0] if result.facts.lender else kind.zh
                note = kind.note
        return AnswerExtras(english_topic=english, concerns=concerns, lender=lender, lender_note=note)

    def _answer(
        self,
        result: MatchResult,
        entry_id: str,
        lang: Lang,
        concerns: tuple[str, ...] = (),
        offer: tuple[str, ...] = (),
    ) -> Reply:
        extras = self.extras(result, entry_id, lang, concerns)
        reply = self.dialog.answer(entry_id, lang, extras, offer)
        return Reply(reply.text, reply.kind, reply.buttons, reply.entry_id, result)

    def several(self, result: MatchResult, lang: Lang) -> Reply:
        """The main concern answered, the others offered as buttons, all of them named."""
        labels = []
        for concern in result.concerns:
            topic = self.kb.topic(concern.topic)
            if topic is not None:
                labels.append(topic.concern or topic.zh)
        main, others = result.concerns[0], tuple(c.entry for c in result.concerns[1:])
        return self._answer(result, main.entry, lang, tuple(labels), others)

    # -- unsure, nothing, small talk ----------------------------------------------------------------

    def clarify(self, result: MatchResult, lang: Lang) -> Reply:
        t = self.dialog.texts(lang)
        lines = [t("clarify.intro")]
        rows: list[tuple[Button, ...]] = []
        for candidate in self.dialog.matcher.clarify_options(result):
            entry = self.kb.entry(candidate.entry)
            if entry is None:
                continue
            number = len(rows) + 1
            lines.append(t("clarify.option", number=number, title=entry.title))
            rows.append(
                (Button(t.label("button.numbered", number=number, label=entry.label), f"c:{entry.id}"),)
            )
        lines += ["", t("clarify.outro")]
        rows.append(self.dialog.bottom_row(lang))
        return Reply("\n".join(lines), "clarify", tuple(rows), match=result)

    def nothing(self, result: MatchResult, lang: Lang) -> Reply:
        """What the bot covers, /topics, and a lawyer button that carries the borrower's words."""
        text = self.dialog.texts(lang)("none")
        rows = (self.dialog.bottom_row(lang, lawyer=LAWYER_WITH_QUESTION),)
        return Reply(text, "none", rows, match=result)

    def small_talk(self, result: MatchResult, lang: Lang) -> Reply:
        kind = result.smalltalk or "noise"
        t = self.dialog.texts(lang)
        text = (
            t(f"smalltalk.{kind}", firm=self.dialog.firm_name(lang))
            if kind == "about"
            else t(f"smalltalk.{kind}")
        )
        rows: list[tuple[Button, ...]] = []
        if kind == "greeting":
            rows = [*self.dialog.topic_rows(COMMON_TOPICS, lang), self.dialog.bottom_row(lang)]
        elif kind in ("thanks", "about"):
            rows = [self.dialog.bottom_row(lang)]
        elif kind == "noise":
            rows = [(Button(t.label("button.topics"), "m:0"), Button(t.label("button.lawyer"), LAWYER))]
        return Reply(text, "smalltalk", tuple(rows), match=result)
