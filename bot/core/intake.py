"""The "ask a lawyer" intake as a small state machine, independent of Telegram and storage.

Steps: consent → 1 lender → 2 overdue → 3 events → 4 amount → 5 question → confirm (the
numbered ones are the form's questions; the texts are in knowledge/messages.yaml). Each input gives a
`Step`: the next step (None when the intake is over), the updated draft and the reply. The
shell stores the draft between messages (so it survives a restart) and, when `submit` is
set, writes the enquiry.

Button actions (callback data) are `i:<step>:<value>`; a button from an earlier step or a
forged one is refused by `Intake.button` returning None.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.core.knowledge import KnowledgeBase
from bot.core.markup import esc
from bot.core.messages import Lang, Texts
from bot.core.render import render_firm_contact
from bot.core.replies import Button, Reply

# The form's questions, numbered in this order; each has its button code.
STEPS = ("lender", "overdue", "events", "amount", "question")
STEP_CODES = {
    "consent": "c",
    "lender": "l",
    "overdue": "o",
    "events": "e",
    "amount": "a",
    "question": "q",
    "confirm": "s",
}
LENDER_KEYS = ("bank", "online", "other")
OVERDUE_KEYS = ("lt1", "1to3", "3to12", "gt12")
EVENT_KEYS = ("family", "work", "visit", "lawsuit", "police", "abuse")
MAX_QUESTION = 3000
MAX_AMOUNT = 40
_BUTTON = re.compile(r"^i:([a-z]):([a-z0-9-]{1,12})$")


@dataclass(frozen=True, kw_only=True)
class IntakeData:
    """What the borrower fills in; the enquiry (bot.core.handoff) adds who they are and its state."""

    lender: str = ""
    overdue: str = ""
    events: tuple[str, ...] = ()
    amount: str = ""
    question: str = ""
    photo_file_id: str = ""
    last_answer: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["events"] = list(self.events)
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> IntakeData:
        known = {k: v for k, v in raw.items() if k in IntakeData.__dataclass_fields__}
        known["events"] = tuple(known.get("events", ()))
        return IntakeData(**known)


@dataclass(frozen=True)
class Step:
    step: str | None  # the next step, or None when the intake has ended
    data: IntakeData
    reply: Reply
    submit: bool = False  # the borrower confirmed: write the enquiry
    edit: bool = False  # show the reply in place of the message whose button was pressed
    notices: tuple[str, ...] = field(default=())


class Intake:
    """The form's steps for one audience (language, HTML or console text)."""

    def __init__(
        self, kb: KnowledgeBase, retention_days: int, lang: Lang = "zh", as_html: bool = True
    ) -> None:
        self.kb = kb
        self.firm = kb.firm
        self.retention_days = retention_days
        self.t = Texts(kb.messages, lang, as_html)
        # What is stored (and shown to the firm) is always the Chinese label.
        self.zh = Texts(kb.messages, "zh", as_html)

    def _choice(self, group: str, key: str) -> str:
        return self.zh.label(f"choice.{group}.{key}")

    def _choice_button(self, group: str, key: str, code: str, ticked: bool = False) -> Button:
        label = ("✅ " if ticked else "") + self.t.label(f"choice.{group}.{key}")
        return Button(label, f"i:{code}:{key}")

    # -- the prompts of each step ---------------------------------------------------------------

    def consent(self) -> Reply:
        t = self.t
        firm = self.firm.name_en if t.lang == "en" and self.firm.name_en else self.firm.name
        text = t("intake.consent", firm=firm, retention_days=self.retention_days)
        text += "\n\n" + t("intake.consent_contact") + "\n" + render_firm_contact(self.firm, t)
        buttons = ((Button(t.label("button.agree"), "i:c:yes"), Button(t.label("button.decline"), "i:c:no")),)
        return Reply(text, "info", buttons)

    def _prompt(self, step: str, data: IntakeData) -> Reply:
        t = self.t
        number = {"step": STEPS.index(step) + 1, "steps": len(STEPS)} if step in STEPS else {}
        skip = Button(t.label("button.skip"), f"i:{step[0]}:skip")
        if step == "lender":
            rows = [tuple(self._choice_button("lender", key, "l") for key in LENDER_KEYS), (skip,)]
            return Reply(t("intake.lender", **number), "info", tuple(rows))
        if step == "overdue":
            marks = [self._choice_button("overdue", key, "o") for key in OVERDUE_KEYS]
            rows = [tuple(marks[i : i + 2]) for i in (0, 2)] + [(skip,)]
            return Reply(t("intake.overdue", **number), "info", tuple(rows))
        if step == "events":
            marks = [
                self._choice_button("events", key, "e", self._choice("events", key) in data.events)
                for key in EVENT_KEYS
            ]
            rows = [tuple(marks[i : i + 2]) for i in range(0, len(marks), 2)]
            rows.append((Button(t.label("button.events_done"), "i:e:done"),))
            return Reply(t("intake.events", **number), "info", tuple(rows))
        if step == "amount":
            return Reply(t("intake.amount", **number), "info", ((skip,),))
        if step == "question":
            if data.question:
                text = t("intake.question_prefilled", question=data.question, **number)
                return Reply(text, "info", ((Button(t.label("button.use_question"), "i:q:keep"),),))
            return Reply(t("intake.question", max=MAX_QUESTION, **number), "info")
        return self.summary(data)

    def summary(self, data: IntakeData) -> Reply:
        t = self.t
        details = [t("intake.summary_fact", label=label, value=value) for label, value in self.facts(data)]
        if data.photo_file_id:
            details.append(t("intake.summary_photo"))
        lines = [t("intake.summary"), ""]
        if details:
            lines += [*details, ""]
        lines += [t("intake.summary_question"), esc(data.question, t.as_html)]
        buttons = (
            (Button(t.label("button.confirm"), "i:s:yes"), Button(t.label("button.cancel"), "i:s:no")),
        )
        return Reply("\n".join(lines), "info", buttons)

    def facts(self, data: IntakeData) -> list[tuple[str, str]]:
        """The facts filled in, labelled (Chinese labels: they are the firm's too)."""
        return [(self.t.plain(key), value) for key, value in fact_items(data) if value]

    # -- inputs ----------------------------------------------------------------------------------

    def begin(self, last_answer: str = "", question: str = "") -> Step:
        """A new form; `question` is the borrower's unanswered question, offered at its step."""
        data = IntakeData(last_answer=last_answer, question=question.strip()[:MAX_QUESTION])
        return Step("consent", data, self.consent())

    def cancelled(self) -> Reply:
        return Reply(self.t("intake.cancelled"), "info")

    def timed_out(self) -> Reply:
        return Reply(self.t("intake.timed_out"), "info")

    def button(self, step: str, data: IntakeData, action: str | None) -> Step | None:
        """The reply to a button press, or None if the button does not belong to this step."""
        m = _BUTTON.match(action or "")
        if m is None:
            return None
        code, value = m.groups()
        if step not in STEP_CODES or STEP_CODES[step] != code:
            return None
        if code == "c":
            if value == "no":
                return Step(None, data, Reply(self.t("intake.declined"), "info"), edit=False)
            return self._next("lender", data) if value == "yes" else None
        if code == "l" and (value in LENDER_KEYS or value == "skip"):
            lender = self._choice("lender", value) if value != "skip" else ""
            return self._next("overdue", replace(data, lender=lender))
        if code == "o" and (value in OVERDUE_KEYS or value == "skip"):
            overdue = self._choice("overdue", value) if value != "skip" else ""
            return self._next("events", replace(data, overdue=overdue))
        if code == "e":
            if value == "done":
                return self._next("amount", data)
            if value in EVENT_KEYS:
                label = self._choice("events", value)
                events = (
                    tuple(e for e in data.events if e != label)
                    if label in data.events
                    else (*data.events, label)
                )
                return self._next("events", replace(data, events=events))
            return None
        if code == "a" and value == "skip":
            return self._next("question", replace(data, amount=""))
        if code == "q" and value == "keep" and data.question:
            return Step("confirm", data, self.summary(data), edit=True)
        if code == "s":
            if value == "yes":
                return Step(None, data, Reply("", "info"), submit=True)
            return Step(None, data, self.cancelled(), edit=True)
        return None

    def _next(self, step: str, data: IntakeData) -> Step:
        # Buttons edit their own message in place (toggling an event shows its tick there).
        return Step(step, data, self._prompt(step, data), edit=True)

    def text(self, step: str, data: IntakeData, text: str) -> Step:
        text = text.strip()
        if step == "amount":
            if len(text) > MAX_AMOUNT:
                return Step(step, data, Reply(self.t("intake.amount_too_long", max=MAX_AMOUNT), "info"))
            new = replace(data, amount=text)
            return Step("question", new, self._prompt("question", new))
        if step == "question":
            if len(text) > MAX_QUESTION:
                reply = Reply(self.t("intake.question_too_long", length=len(text), max=MAX_QUESTION), "info")
                return Step(step, data, reply)
            if not text:
                return Step(step, data, self._prompt("question", data))
            new = replace(data, question=text)
            return Step("confirm", new, self.summary(new))
        prompt = self.consent() if step == "consent" else self._prompt(step, data)
        return Step(step, data, prompt, notices=(self.t("intake.reminder"),))

    def photo(self, step: str, data: IntakeData, file_id: str, caption: str) -> Step:
        if step != "question":
            return self.text(step, data, "")
        new = replace(data, photo_file_id=file_id)
        if caption.strip():
            return self.text(step, new, caption)
        return Step(step, new, Reply(self.t("intake.photo_received"), "info"))


def fact_items(data: IntakeData) -> list[tuple[str, str]]:
    """(message key of the label, value) of a draft's or an enquiry's facts, in display order."""
    return [
        ("fact.lender", data.lender),
        ("fact.overdue", data.overdue),
        ("fact.events", "、".join(data.events)),
        ("fact.amount", data.amount),
    ]
