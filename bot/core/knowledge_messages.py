"""Reading `messages.yaml`, the bot's own words, against the keys the code uses (`SPECS`).

Every problem is collected with its file and line, as for the other knowledge files:
an unknown key (with a "did you mean"), a missing one, a text that lost or invented a
`{placeholder}`, a stray brace, HTML (texts are escaped, so `<b>` would be shown as it is;
`**bold**` is the markup), a button label too long for a phone.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from bot.core.knowledge_files import HTML_TAG, Collector, display_path, type_hint
from bot.core.markup import PLACEHOLDER
from bot.core.messages import ENGLISH_ONLY, MAX_BUTTON_CHARS, SPECS, is_button
from bot.core.model import Message
from bot.core.yamlsource import LocatedDict, Problem, line_of, load_yaml

LANGS = ("zh", "en")
_BRACE = re.compile(r"[{}]")


def read_messages(directory: Path, root: Path) -> tuple[dict[str, Message], list[Problem]]:
    path = directory / "messages.yaml"
    c = Collector(display_path(path, root))
    if not path.exists():
        c.add(1, "file is missing (the bot's own texts; copy it from the project's knowledge/ directory)")
        return {}, c.problems
    data, problems = load_yaml(path, c.display)
    c.problems.extend(problems)
    if not isinstance(data, LocatedDict):
        if data is not None or not problems:
            c.add(1, "must be a mapping of message keys, e.g. 'welcome:' with 'zh:' and 'en:' under it")
        return {}, c.problems
    messages: dict[str, Message] = {}
    for key, value in data.items():
        line = line_of(data, key)
        if key not in SPECS:
            close = difflib.get_close_matches(key, sorted(SPECS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            c.add(line, f"unknown message '{key}'{hint}")
            continue
        message = _read_message(c, key, value, line)
        if message is not None:
            messages[key] = message
    for key in SPECS:
        if key not in data:
            c.add(1, f"missing message '{key}'")
    return messages, c.problems


def _read_message(c: Collector, key: str, value: object, line: int) -> Message | None:
    texts: dict[str, tuple[str, int]] = {}
    invalid = False
    if isinstance(value, str):
        texts["zh"] = (value, line)
    elif isinstance(value, LocatedDict):
        for lang in value:
            if lang not in LANGS:
                c.add(line_of(value, lang), f"'{key}': unknown language '{lang}'; use zh: and en:")
        for lang in LANGS:
            text = value.get(lang)
            if text is None and lang not in value:
                continue
            if not isinstance(text, str) or not text.strip():
                c.add(line_of(value, lang), f"'{key}': {lang}: must be text{type_hint(text)}")
                invalid = True
                continue
            texts[lang] = (text, line_of(value, lang))
    else:
        c.add(line, f"'{key}': must be text, or zh: and en: texts{type_hint(value)}")
        return None
    required = "en" if key in ENGLISH_ONLY else "zh"
    if required not in texts:
        if not invalid:
            c.add(line, f"'{key}': needs a {required}: text")
        return None
    ok = all(_check_text(c, key, lang, text, at) for lang, (text, at) in texts.items())
    if not ok:
        return None
    return Message(
        zh=texts["zh"][0].strip() if "zh" in texts else "",
        en=texts["en"][0].strip() if "en" in texts else "",
        line=line,
    )


def _check_text(c: Collector, key: str, lang: str, text: str, line: int) -> bool:
    where = f"'{key}': {lang}: "
    ok = True
    expected = SPECS[key]
    found = PLACEHOLDER.findall(text)
    for name in sorted(set(found) - set(expected)):
        allowed = ", ".join(f"{{{p}}}" for p in expected) or "none"
        c.add(line, f"{where}unknown placeholder {{{name}}} (this text can use: {allowed})")
        ok = False
    for name in expected:
        if name not in found:
            c.add(line, f"{where}must keep the placeholder {{{name}}}")
            ok = False
    if _BRACE.search(PLACEHOLDER.sub("", text)):
        c.add(line, f"{where}a {{ or }} that is not a placeholder like {{firm}}")
        ok = False
    if HTML_TAG.search(text):
        c.add(
            line, f"{where}contains an HTML tag; texts are escaped (it would show as typed): write **bold**"
        )
        ok = False
    if is_button(key):
        limit = MAX_BUTTON_CHARS["en" if lang == "en" else "zh"]
        shown = PLACEHOLDER.sub("", text.strip())
        if "\n" in text.strip():
            c.add(line, f"{where}a button label is one line")
            ok = False
        if len(shown) > limit:
            c.add(line, f"{where}button label '{text.strip()}' has {len(shown)} characters; at most {limit}")
            ok = False
    return ok
