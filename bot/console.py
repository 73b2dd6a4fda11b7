"""The console chat: the same conversation as on Telegram, in a terminal.

Buttons become numbered choices: type the number to press one. Commands work as on
Telegram (/start, /topics, /help, /privacy, /lawyer); /quit or an empty end of input leaves.
"""

from __future__ import annotations

from typing import TextIO

from bot.core.dialog import Button, Dialog, Reply
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher


def format_reply(reply: Reply, numbered: bool = True) -> str:
    lines = [reply.text]
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        lines.append("")
        for i, button in enumerate(buttons, 1):
            lines.append(f"  [{i}] {button.label}" if numbered else f"  - {button.label}")
    return "\n".join(lines)


def run_console(kb: KnowledgeBase, matcher: Matcher, stdin: TextIO, stdout: TextIO) -> int:
    dialog = Dialog(kb, matcher, as_html=False)
    commands = {
        "/start": lambda: dialog.welcome(),
        "/help": dialog.help,
        "/topics": lambda: dialog.topics_menu(0),
        "/privacy": lambda: dialog.privacy(),
        "/lawyer": dialog.lawyer,
    }

    def show(reply: Reply) -> list[Button]:
        stdout.write(format_reply(reply) + "\n\n")
        stdout.flush()
        return [b for row in reply.buttons for b in row]

    stdout.write("催收问答 — console chat. Type a question, a number to press a button, /help, or /quit.\n\n")
    buttons = show(dialog.welcome())
    while True:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit", "q"):
            return 0
        if text.isdigit() and buttons:
            index = int(text) - 1
            if not 0 <= index < len(buttons):
                stdout.write(f"Choose 1–{len(buttons)}.\n\n")
                continue
            reply = dialog.act(buttons[index].action) or dialog.lawyer()
        elif text.split()[0] in commands:
            reply = commands[text.split()[0]]()
        else:
            reply = dialog.ask(text)
        buttons = show(reply)
