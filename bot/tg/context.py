"""Typed per-application state, shared by all handlers through `context.bot_data`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.core.dialog import Dialog
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, build_matcher
from bot.storage import Database

if TYPE_CHECKING:
    from bot.tg.handoff import Handoff


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


class BotData:
    """What every handler can reach; filled in by `build_application`."""

    def __init__(self) -> None:
        self.brain: Brain | None = None
        self.settings: Settings = Settings()
        self.storage: Database | None = None  # opened in post_init, closed in post_shutdown
        self.handoff: Handoff | None = None
        self.bot_username: str = ""
        # Live reload (bot/tg/reload.py): one rebuild at a time; the files' state last loaded.
        self.reload_lock = asyncio.Lock()
        self.knowledge_stamp: tuple[tuple[str, int, int], ...] = ()

    def require_handoff(self) -> Handoff:
        if self.handoff is None:
            raise RuntimeError("hand-off not set up")
        return self.handoff

    def require_brain(self) -> Brain:
        if self.brain is None:
            raise RuntimeError("knowledge base not loaded")
        return self.brain


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
