"""The console chat: the same conversation as on Telegram, in a terminal.

The same `Dialog` and the same intake form (`bot.core.intake`) as the bot; buttons become
numbered choices (type the number to press one) and stay valid until the next reply, so a
vote keeps the other buttons as on Telegram. Commands work as on Telegram: /start [entry],
/topics, /help, /privacy, /lawyer, /mycases, /cancel; another command gets the help, as an
unknown command does on Telegram. /quit or the end of input leaves.

The console has no law firm to send to: a confirmed enquiry is shown in the terminal and,
with `--firm-file FILE`, appended to that file as one JSON object per line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.core.dialog import Button, Dialog, Reply, after_feedback, parse_action
from bot.core.handoff import new_ref
from bot.core.intake import Intake, IntakeData, Step
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.messages import Texts


def format_reply(reply: Reply, numbered: bool = True) -> str:
    lines = [reply.text]
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        lines.append("")
        for i, button in enumerate(buttons, 1):
            lines.append(f"  [{i}] {button.label}" if numbered else f"  - {button.label}")
    return "\n".join(lines)


@dataclass
class SentEnquiry:
    ref: str
    created_at: float
    data: IntakeData


class ConsoleChat:
    """One person's conversation; `handle()` takes a line and returns the reply shown."""

    def __init__(
        self, kb: KnowledgeBase, matcher: Matcher, firm_file: Path | None = None, retention_days: int = 180
    ) -> None:
        self.kb = kb
        self.dialog = Dialog(kb, matcher, as_html=False)
        self.intake = Intake(kb, retention_days, as_html=False)
        self.texts = Texts(kb.messages, "zh", as_html=False)
        self.retention_days = retention_days
        self.firm_file = firm_file
        self.rows: tuple[tuple[Button, ...], ...] = ()
        self.step: str | None = None  # the intake's step while a form is open
        self.data = IntakeData()
        self.last_answer = ""  # title of the last answer shown (the firm sees it)
        self.unanswered = ""  # the last question the bot could not answer (offered to the lawyer)
        self.sent: list[SentEnquiry] = []
        self.commands: dict[str, Callable[[str], Reply]] = {
            "/start": lambda arg: self.dialog.start(arg or None),
            "/help": lambda _: self.dialog.help(),
            "/topics": lambda _: self.dialog.topics_menu(0),
            "/privacy": lambda _: self.dialog.privacy(self.retention_days),
            "/lawyer": lambda _: self.begin_intake(),
            "/mycases": lambda _: self.my_cases(),
            "/cancel": lambda _: self.cancel(),
        }

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.rows for b in row]

    def handle(self, text: str) -> Reply | None:
        """The reply to one line of input (None: nothing to show)."""
        text = text.strip()
        if not text:
            return None
        if text.isdigit() and self.buttons:
            index = int(text) - 1
            if not 0 <= index < len(self.buttons):
                return Reply(self.texts("console.choose", count=len(self.buttons)), "info", self.rows)
            return self.press(self.buttons[index].action)
        if text.startswith("/"):
            command, _, arg = text.partition(" ")
            handler = self.commands.get(command.split("@")[0])
            return self.show(handler(arg.strip()) if handler else self.dialog.help())
        if self.step is not None and self.step != "consent":
            return self.apply(self.intake.text(self.step, self.data, text))
        self.step = None  # typing a question instead of agreeing ends the form, as on Telegram
        reply = self.dialog.ask(text)
        if reply.kind == "none" and reply.match is not None:
            self.unanswered = reply.match.query
        return self.show(reply)

    def show(self, reply: Reply) -> Reply:
        if reply.entry_id:
            entry = self.kb.entry(reply.entry_id)
            self.last_answer = entry.title if entry else ""
        self.rows = reply.buttons
        return reply

    def press(self, action: str) -> Reply:
        if action.startswith("i:"):
            step = self.intake.button(self.step or "", self.data, action) if self.step else None
            return self.apply(step) if step else self.show(self.dialog.invalid_action())
        parsed = parse_action(action)
        if parsed is not None and parsed.kind == "lawyer":
            return self.begin_intake(self.unanswered if parsed.with_question else "")
        if parsed is not None and parsed.kind == "feedback":
            # As on Telegram: the vote row becomes a thank-you, every other button stays.
            self.rows = after_feedback(self.rows, parsed.vote, self.texts) if parsed.vote else self.rows
            return Reply(self.texts("feedback.thanks"), "info", self.rows)
        reply = self.dialog.act(action)
        return self.show(reply) if reply is not None else self.begin_intake()

    # -- the intake, with a file (or the terminal) as the firm --------------------------------------

    def begin_intake(self, question: str = "") -> Reply:
        return self.apply(self.intake.begin(self.last_answer, question))

    def apply(self, step: Step) -> Reply:
        self.data = step.data
        self.step = step.step
        if step.submit:
            return self.show(self.submit(step.data))
        notices = "\n".join(step.notices)
        reply = step.reply
        if notices:
            reply = Reply(f"{notices}\n\n{reply.text}", reply.kind, reply.buttons)
        return self.show(reply)

    def submit(self, data: IntakeData) -> Reply:
        self.step = None
        enquiry = SentEnquiry(new_ref(), time.time(), data)
        self.sent.append(enquiry)
        summary = self.intake.summary(data).text
        if self.firm_file is None:
            notice = self.texts("console.no_firm_file", ref=enquiry.ref)
            return Reply(f"{summary}\n\n{notice}", "info")
        record = {
            "ref": enquiry.ref,
            "created_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(enquiry.created_at)),
            **data.to_dict(),
        }
        self.firm_file.parent.mkdir(parents=True, exist_ok=True)
        with self.firm_file.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return Reply(self.texts("console.sent", ref=enquiry.ref, path=self.firm_file), "info")

    def cancel(self) -> Reply:
        if self.step is None:
            return Reply(self.texts("intake.nothing_to_cancel"), "info")
        self.step, self.data = None, IntakeData()
        return self.intake.cancelled()

    def my_cases(self) -> Reply:
        if not self.sent:
            return Reply(self.texts("cases.none"), "info")
        lines = [self.texts("cases.title")]
        for e in self.sent:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created_at))
            snippet = e.data.question if len(e.data.question) <= 30 else e.data.question[:30] + "…"
            lines.append(self.texts("console.case", ref=e.ref, when=when, question=snippet))
        return Reply("\n".join(lines), "info")


def run_console(
    kb: KnowledgeBase,
    matcher: Matcher,
    stdin: TextIO,
    stdout: TextIO,
    firm_file: Path | None = None,
    retention_days: int = 180,
) -> int:
    chat = ConsoleChat(kb, matcher, firm_file, retention_days)

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    write(chat.texts("console.banner") + "\n\n")
    write(format_reply(chat.show(chat.dialog.welcome())) + "\n\n")
    while True:
        write("> ")
        line = stdin.readline()
        if not line:
            write("\n")
            return 0
        if line.strip() in ("/quit", "/exit", "q"):
            return 0
        reply = chat.handle(line)
        if reply is not None:
            write(format_reply(reply) + "\n\n")
