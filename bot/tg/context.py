"""Typed per-application state, shared by all handlers through `context.bot_data`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.core.dialog import Dialog
from bot.core.instances import Cluster
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, build_matcher
from bot.core.messages import Lang, Texts
from bot.storage import Database
from bot.tg.handoff import Handoff

NO_MATCH = "-"  # UserData.last_answer when the bot found no answer


@dataclass(frozen=True)
class Brain:
    """One knowledge base with its matcher and dialog, swapped as a whole on reload.

    Handlers read `bot_data.brain` once per update, so an update never sees half of an old
    and half of a new knowledge base.
    """

    kb: KnowledgeBase
    matcher: Matcher
    dialog: Dialog

    @classmethod
    def build(cls, kb: KnowledgeBase, settings: Settings) -> Brain:
        matcher = build_matcher(kb, settings.model_cache_dir, semantic=settings.semantic)
        return cls(kb, matcher, Dialog(kb, matcher, as_html=True))

    def texts(self, lang: Lang = "zh") -> Texts:
        """The bot's words (knowledge/messages.yaml) for one audience, as Telegram HTML."""
        return Texts(self.kb.messages, lang)


def lang_of(update: object) -> Lang:
    """English for users whose Telegram language is English; Chinese for everyone else."""
    user = getattr(update, "effective_user", None) or getattr(update, "from_user", None)
    code = getattr(user, "language_code", None) or ""
    return "en" if code.lower().startswith("en") else "zh"


class BotData:
    """What every handler can reach; filled in by `build_application`."""

    def __init__(self) -> None:
        self.brain: Brain | None = None
        self.settings: Settings = Settings()
        self.storage: Database | None = None  # opened in post_init, closed in post_shutdown
        self.handoff: Handoff | None = None
        self.bot_username: str = ""
        # How far start-up got (bot/tg/faults.py names the fault by it): connect, setup, updates.
        self.startup_phase: Literal["connect", "setup", "updates"] = "connect"
        # Live reload (bot/tg/reload.py): one rebuild at a time; the files' state last loaded.
        self.reload_lock = asyncio.Lock()
        self.knowledge_stamp: tuple[tuple[str, int, int], ...] = ()
        # This process among the instances on the database (bot/tg/cluster.py); set in post_init.
        self.cluster: Cluster | None = None

    def require_handoff(self) -> Handoff:
        if self.handoff is None:
            raise RuntimeError("hand-off not set up")
        return self.handoff

    def database_down(self, exc: Exception, what: str) -> None:
        """A storage call failed with StorageUnavailable: logged once per outage (bot/tg/handoff.py)."""
        if self.handoff is not None:
            self.handoff.unavailable(exc, what)

    def require_brain(self) -> Brain:
        if self.brain is None:
            raise RuntimeError("knowledge base not loaded")
        return self.brain


class UserData:
    """Per user, in memory only (a restart forgets it, which costs nothing that matters)."""

    def __init__(self) -> None:
        # The entry id of the last answer the user saw (NO_MATCH: none found), so the firm
        # learns which answer did not settle the matter.
        self.last_answer: str = ""
        # The last question the bot could not answer: the lawyer button under that reply
        # (`l:q`) carries it into the form.
        self.unanswered: str = ""


class ChatData:
    """Per chat: nothing kept in memory (what must survive a restart is in the database)."""


Context = CallbackContext[ExtBot[None], UserData, ChatData, BotData]
