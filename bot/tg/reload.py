"""Live reload of the knowledge base: `/reload` for ADMIN_IDS, and an optional file watcher.

Strategy: validate and build a complete new `Brain` (knowledge base, matcher, dialog) in a
worker thread, because YAML parsing and the matcher's index are CPU work (~0.3 s) and the
bot must keep answering meanwhile; then replace the single reference `bot_data.brain`.
Handlers read that reference once per update, so every update sees either the old or the
new knowledge base, never a mix. On any problem the old Brain stays and the admin is told
every problem with its file and line. One rebuild runs at a time (`bot_data.reload_lock`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError

from bot.config import Settings
from bot.core.knowledge import Entry, KnowledgeError, load_knowledge
from bot.core.render import split_message
from bot.core.yamlsource import Problem
from bot.storage import StorageUnavailable
from bot.tg.context import BotData, Brain, Context

log = logging.getLogger(__name__)

Stamp = tuple[tuple[str, int, int], ...]
WATCH_JOB = "knowledge-watch"
KNOWLEDGE_COUNTER = "knowledge"  # shared by the instances: raised at each /reload
MAX_IDS_LISTED = 12


def knowledge_stamp(directory: Path) -> Stamp:
    """What changes when any knowledge file is edited, added or removed: (path, mtime, size)."""
    if not directory.is_dir():
        return ()
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    stamp = []
    for path in files:
        st = path.stat()
        stamp.append((str(path.relative_to(directory)), st.st_mtime_ns, st.st_size))
    return tuple(stamp)


@dataclass(frozen=True)
class ReloadOutcome:
    previous: Brain
    brain: Brain | None  # the Brain now serving if the reload succeeded, else None
    problems: tuple[Problem, ...] = ()


def _build(directory: Path, settings: Settings) -> Brain:
    return Brain.build(load_knowledge(directory), settings)


async def reload_knowledge(bot_data: BotData) -> ReloadOutcome:
    """Validate and rebuild off the event loop, then swap; keep the old Brain on any problem."""
    async with bot_data.reload_lock:
        previous = bot_data.require_brain()
        directory = bot_data.settings.knowledge_dir
        # Stamp before loading: an edit made while we load triggers another reload later.
        stamp = await asyncio.to_thread(knowledge_stamp, directory)
        bot_data.knowledge_stamp = stamp
        try:
            brain = await asyncio.to_thread(_build, directory, bot_data.settings)
        except KnowledgeError as exc:
            log.warning("reload refused: %d problems in %s", len(exc.problems), directory)
            return ReloadOutcome(previous, None, tuple(exc.problems))
        bot_data.brain = brain  # the swap: one reference assignment
        log.info("knowledge reloaded: %d entries (was %d)", len(brain.kb.entries), len(previous.kb.entries))
        return ReloadOutcome(previous, brain)


def _content(entry: Entry) -> tuple[object, ...]:
    return (
        entry.topic,
        entry.title,
        entry.questions,
        entry.answer,
        entry.legal_basis,
        entry.related,
        entry.reviewed,
    )


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:MAX_IDS_LISTED]) + (
        f" … (+{len(ids) - MAX_IDS_LISTED})" if len(ids) > MAX_IDS_LISTED else ""
    )


def outcome_text(outcome: ReloadOutcome, trigger: str = "") -> str:
    """What the admin is told, in Telegram HTML, in the words of knowledge/messages.yaml (the new
    knowledge base's when it loaded); every problem on its own line."""
    old = outcome.previous.kb
    t = (outcome.brain or outcome.previous).texts()
    prefix = [trigger] if trigger else []
    if outcome.brain is None:
        lines = [*prefix, t("reload.refused", count=len(outcome.problems), entries=len(old.entries)), ""]
        lines += [t("reload.problem", where=f"{p.path}:{p.line}", problem=p.message) for p in outcome.problems]
        return "\n".join(lines)
    new = outcome.brain.kb
    phrasings = sum(len(e.questions) for e in new.entries)
    lines = [
        *prefix,
        t(
            "reload.done",
            topics=len(new.topics),
            entries=len(new.entries),
            phrasings=phrasings,
            before=len(old.entries),
        ),
    ]
    old_by_id = {e.id: e for e in old.entries}
    new_ids = {e.id for e in new.entries}
    added = [e.id for e in new.entries if e.id not in old_by_id]
    removed = [e.id for e in old.entries if e.id not in new_ids]
    changed = [e.id for e in new.entries if e.id in old_by_id and _content(e) != _content(old_by_id[e.id])]
    for key, ids in (("reload.added", added), ("reload.removed", removed), ("reload.changed", changed)):
        if ids:
            lines.append(t(key, ids=_ids(ids)))
    if not (added or removed or changed):
        lines.append(t("reload.unchanged"))
    lines += [t("reload.warning", warning=str(warning)) for warning in new.warnings]
    return "\n".join(lines)


async def reload_command(update: Update, context: Context) -> None:
    """/reload (ADMIN_IDS only; others get the unknown-command reply): validate and swap in knowledge/;
    the other instances on the database follow within a heartbeat."""
    message = update.effective_message
    if message is None:
        return
    outcome = await reload_knowledge(context.bot_data)
    text = outcome_text(outcome)
    if outcome.brain is not None:
        others = announce(context.bot_data)
        if others:
            text += "\n" + outcome.brain.texts()("reload.other_instances", count=others)
    for part in split_message(text):
        await message.reply_text(part)


def announce(bot_data: BotData) -> int:
    """Raise the shared knowledge counter so that every other instance reloads (bot/tg/cluster.py
    polls it); how many other instances are running. On the database's failure, only this one."""
    cluster, handoff = bot_data.cluster, bot_data.handoff
    if cluster is None or handoff is None or handoff.storage is None:
        return 0
    try:
        cluster.knowledge_version = handoff.storage.instances.bump(KNOWLEDGE_COUNTER, handoff.now())
    except StorageUnavailable:
        log.warning("the other instances were not told about the reload (database unavailable)")
        return 0
    return cluster.instances_live - 1


async def watch_knowledge(context: Context) -> None:
    """Job: reload when knowledge files changed and then stayed unchanged for one interval."""
    bot_data = context.bot_data
    stamp = await asyncio.to_thread(knowledge_stamp, bot_data.settings.knowledge_dir)
    job = context.job
    seen: dict[str, Stamp] = job.data if job is not None and isinstance(job.data, dict) else {}
    previous_poll = seen.get("stamp")
    seen["stamp"] = stamp
    # Debounce: a half-finished copy or `git pull` would otherwise be reported as broken.
    if stamp == bot_data.knowledge_stamp or stamp != previous_poll or bot_data.reload_lock.locked():
        return
    outcome = await reload_knowledge(bot_data)
    trigger = (outcome.brain or outcome.previous).texts()("reload.files_changed")
    text = outcome_text(outcome, trigger)
    for admin_id in bot_data.settings.admin_ids:
        for part in split_message(text):
            try:
                await context.bot.send_message(admin_id, part)
            except TelegramError as exc:  # an admin who never opened the bot must not stop the others
                log.warning("could not notify admin about the reload: %s", exc)
                break


def remember_stamp(bot_data: BotData) -> None:
    """Remember the state of the knowledge files now loaded (the watcher compares against it)."""
    bot_data.knowledge_stamp = knowledge_stamp(bot_data.settings.knowledge_dir)
