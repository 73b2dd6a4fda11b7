"""Command line: `python -m bot <command>`. Every command uses the same core as the bot; this
file parses the line and serves the bot (`run`, `webhook`, `migrate`), the knowledge-base commands
are in bot/knowledge_commands.py."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from bot import logs
from bot.config import Settings
from bot.core.gaps import DEFAULT_THRESHOLD
from bot.core.knowledge import KnowledgeBase
from bot.knowledge_commands import (
    cmd_ask,
    cmd_chat,
    cmd_check,
    cmd_eval,
    cmd_gaps,
    cmd_match,
    cmd_report,
    load_or_report,
    settings_or_report,
    stdout_utf8,
)

log = logging.getLogger("bot")


def _serve(run: Callable[[Settings, KnowledgeBase], None], settings: Settings, kb: KnowledgeBase) -> int:
    """Run the bot; a known start-up fault is one line on stderr and exit code 1."""
    from bot.tg.faults import StartupFault

    try:
        run(settings, kb)
    except StartupFault as fault:
        print(fault, file=sys.stderr)
        return 1
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage import StorageError, is_postgres, migrate_database, sqlite_path

    settings = settings_or_report(args)
    if settings is None:
        return 2
    target = settings.database
    if args.copy_from and not is_postgres(target):
        print("--copy-from copies into PostgreSQL: set DATABASE_URL=postgresql://… first.", file=sys.stderr)
        return 2
    try:
        version, applied = migrate_database(target)
        done = f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply"
        print(f"database {settings.database_description}: schema version {version} ({done})")
        if args.copy_from:
            from bot.storage.copy import copy_sqlite_to_postgres

            source = sqlite_path(args.copy_from)
            counts = copy_sqlite_to_postgres(source, str(target))
            print(f"copied {sum(counts.values())} rows from {source}, counts verified:")
            for table, n in counts.items():
                print(f"  {table}: {n}")
    except StorageError as exc:
        print(f"database: {exc}", file=sys.stderr)
        return 1
    return 0


def _database_ready(settings: Settings) -> bool:
    """Before starting the bot: the database answers and is as new as the code (one line if not)."""
    from bot.storage import StorageError, open_for_bot

    try:
        open_for_bot(settings.database).close()
    except StorageError as exc:
        print(f"database: {exc}", file=sys.stderr)
        return False
    return True


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_or_report(args)
    if settings is None:
        return 2
    if not settings.token:
        print(
            "TELEGRAM_BOT_TOKEN is not set. Set it, or try the bot offline with: python -m bot chat",
            file=sys.stderr,
        )
        return 2
    kb = load_or_report(settings.knowledge_dir)
    if kb is None:
        return 1
    if not _database_ready(settings):
        return 2
    from bot.tg.app import run_polling

    return _serve(run_polling, settings, kb)


def cmd_webhook(args: argparse.Namespace) -> int:
    settings = settings_or_report(args)
    if settings is None:
        return 2
    missing = [
        name
        for name, value in (
            ("TELEGRAM_BOT_TOKEN", settings.token),
            ("WEBHOOK_URL", settings.webhook_url),
            ("WEBHOOK_SECRET", settings.webhook_secret),
        )
        if not value
    ]
    if missing:
        print(f"Missing settings for webhook mode: {', '.join(missing)}", file=sys.stderr)
        return 2
    kb = load_or_report(settings.knowledge_dir)
    if kb is None:
        return 1
    if not _database_ready(settings):
        return 2
    from bot.tg.app import run_webhook

    return _serve(run_webhook, settings, kb)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="催收问答 — debt-collection help bot")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, func: object) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--knowledge", default=None, help="knowledge directory (default: $KNOWLEDGE_DIR, else knowledge/)"
        )
        p.set_defaults(func=func)
        return p

    add("run", "start the Telegram bot (long polling); needs TELEGRAM_BOT_TOKEN", cmd_run)
    add(
        "webhook", "start the Telegram bot behind a webhook ($PORT, WEBHOOK_URL, WEBHOOK_SECRET)", cmd_webhook
    )
    p = add("chat", "chat with the bot in this terminal (no token, no network)", cmd_chat)
    p.add_argument(
        "--firm-file",
        metavar="FILE",
        help="append enquiries confirmed in the chat to this file (JSON lines); default: only shown",
    )
    p = add("ask", "answer one question and print it", cmd_ask)
    p.add_argument("question", nargs="+", help="the question")
    add(
        "match",
        "batch matching: one question per line on stdin, one JSON object per line on stdout",
        cmd_match,
    )
    p = add("check", "validate the knowledge base and report phrasing collisions", cmd_check)
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings (collisions, empty topics) too")
    p = add("report", "write a readable HTML report of the knowledge base and its confusions", cmd_report)
    p.add_argument("--html", required=True, metavar="FILE", help="where to write the page, e.g. out.html")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="date to judge review dates by (default: today)")
    p = add(
        "gaps",
        "group the questions the bot could not answer (from the database) and export them",
        cmd_gaps,
    )
    p.add_argument(
        "--database",
        metavar="FILE|URL",
        help="SQLite file or postgresql:// URL, opened read-only (default: $DATABASE_URL, else $DATABASE_PATH)",
    )
    p.add_argument("--csv", metavar="FILE", help="write every group and suggestion as CSV")
    p.add_argument("--yaml", metavar="FILE", help="write candidate `questions:` blocks to paste into entries")
    p.add_argument("--limit", type=int, default=20, help="groups to print (default: %(default)s)")
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="similarity (0-1) a question needs to join a group (default: %(default)s)",
    )
    p = add(
        "migrate",
        "bring the database ($DATABASE_URL, else $DATABASE_PATH) to the code's schema; run once per deploy",
        cmd_migrate,
    )
    p.add_argument(
        "--copy-from",
        metavar="SQLITE",
        help="then copy every row of this SQLite database (sqlite:///data/bot.sqlite3 or a path) into "
        "the empty PostgreSQL database, in one transaction, and verify the counts",
    )
    p = add("eval", "score the matcher on a labelled .jsonl question set", cmd_eval)
    p.add_argument("file", nargs="?", help="labelled questions, one JSON object per line")
    p.add_argument("--mistakes", action="store_true", help="list every mistake")
    p.add_argument(
        "--held-out", action="store_true", help="also print the confidence's calibration on held-out phrasings"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    stdout_utf8()
    # python-telegram-bot 22 warns on every RetryAfter unless durations are timedeltas;
    # opt in to the new behaviour (the outbox handles both forms).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = build_parser().parse_args(argv)
    logs.setup()
    result: int = args.func(args)
    return result
