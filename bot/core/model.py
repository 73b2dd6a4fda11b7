"""The knowledge base as the rest of the core sees it: frozen values, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.yamlsource import Problem


class KnowledgeError(Exception):
    """The knowledge base is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Topic:
    id: str
    zh: str
    en: str
    order: int
    concern: str = ""  # how "您提到：…" names it, e.g. 要上门催收


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    legal_basis: tuple[str, ...]
    related: tuple[str, ...]
    reviewed: dt.date
    source: str  # "knowledge/entries/visits.yaml:42", for messages to maintainers
    button: str = ""  # short label (at most 14 characters) wherever the entry is a button
    question_lines: tuple[int, ...] = ()  # the line of each phrasing in its file

    @property
    def label(self) -> str:
        return self.button or self.title


@dataclass(frozen=True)
class Firm:
    name: str
    website: str
    disclaimer: str
    legal_aid: str
    name_en: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    address: str = ""
    office_hours: str = ""


@dataclass(frozen=True)
class Message:
    """One of the bot's own texts (knowledge/messages.yaml), in light markup."""

    zh: str
    en: str = ""  # empty: English speakers get the Chinese text
    line: int = 0


@dataclass(frozen=True)
class LenderType:
    """A kind of lender; `note` is the one line added under an answer when a question names one."""

    id: str  # bank | consumer-finance | micro-lender | platform
    zh: str
    en: str
    note: str


@dataclass(frozen=True)
class Lender:
    """A lender or loan product borrowers name (knowledge/lenders.yaml)."""

    name: str  # canonical name, e.g. 光大银行, 花呗
    type: str  # a LenderType id
    word: str  # what the name becomes for matching: 银行 or 网贷
    variants: tuple[str, ...] = ()  # other spellings, recognised anywhere
    short: tuple[str, ...] = ()  # short names (光大, 广大) recognised only before 银行/信用卡/卡
    generic: bool = False  # a kind (银行, 信用卡), not one named lender: no name in the facts
    not_before: tuple[str, ...] = ()  # not the lender when followed by these (银行 before 卡)


@dataclass(frozen=True)
class KnowledgeBase:
    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    firm: Firm
    synonyms: Mapping[str, str]  # variant -> canonical
    out_of_scope: tuple[str, ...]
    directory: str
    warnings: tuple[Problem, ...] = ()
    lender_types: tuple[LenderType, ...] = ()
    lenders: tuple[Lender, ...] = ()
    people: Mapping[str, str] = field(default_factory=dict)  # variant -> canonical (父母, 配偶 …)
    places: Mapping[str, str] = field(default_factory=dict)  # variant -> canonical (家里, 单位 …)
    smalltalk: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> phrases
    messages: Mapping[str, Message] = field(default_factory=dict)  # the bot's own texts, by key
    _by_id: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)
    _topic_by_id: dict[str, Topic] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update((e.id, e) for e in self.entries)
        self._topic_by_id.update((t.id, t) for t in self.topics)

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def topic(self, topic_id: str) -> Topic | None:
        return self._topic_by_id.get(topic_id)

    def lender_type(self, type_id: str) -> LenderType | None:
        return next((t for t in self.lender_types if t.id == type_id), None)

    def entries_in(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries if e.topic == topic_id]


@dataclass(frozen=True)
class LoggedQuestion:
    """One row of the question log, as stored by the learning log and read by `bot.core.gaps`."""

    text: str  # masked
    decision: str  # "none" or "clarify"
    user: str = ""  # salted hash of the asker, or "" (only used to count distinct askers)
    chosen: str | None = None  # the entry picked from "did you mean", if any


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question the bot answered: which answer (as a salted hash) and where it is, for edits."""

    answer_ref: str
    answer_message_id: int
    parts: int
