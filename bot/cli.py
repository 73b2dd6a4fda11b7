"""Command line: `python -m bot <command>`. Every command uses the same core as the bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import logs
from bot.config import ConfigError, Settings, knowledge_dir_from
from bot.core.gaps import DEFAULT_THRESHOLD
from bot.core.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.core.matcher import Matcher, build_matcher

log = logging.getLogger("bot")


def _load(directory: str | Path | None) -> KnowledgeBase | None:
    """Load the knowledge base (`--knowledge`, else KNOWLEDGE_DIR, else knowledge/), or print
    every problem and return None."""
    directory = knowledge_dir_from(os.environ, directory)
    try:
        return load_knowledge(directory)
    except KnowledgeError as exc:
        print(
            f"The knowledge base in {directory} is invalid ({len(exc.problems)} problems):", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _matcher(kb: KnowledgeBase) -> Matcher:
    """The production matcher, configured from the environment (MODEL_CACHE_DIR, SEMANTIC_MODEL)."""
    try:
        settings = Settings.from_env()
    except ConfigError:
        settings = Settings()
    return build_matcher(kb, settings.model_cache_dir, semantic=settings.semantic)


def _stdout_utf8() -> None:
    # Console chat and batch output must survive a non-UTF-8 locale (e.g. LANG=C in CI).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


def cmd_check(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return 1
    for warning in kb.warnings:
        print(f"warning: {warning}")
    from bot.core.report import phrasing_source

    matcher = _matcher(kb)
    collisions = matcher.collisions()
    for entry_id, qi, text, other in collisions:
        where = phrasing_source(kb, entry_id, qi)
        print(
            f"warning: {where}: entry '{entry_id}': phrasing {qi + 1} '{text}' would be answered with"
            f" '{other}' (another topic)"
        )
    phrasings = sum(len(e.questions) for e in kb.entries)
    print(
        f"OK: {len(kb.topics)} topics, {len(kb.entries)} entries, {phrasings} phrasings, "
        f"{len(kb.synonyms)} synonym variants, {len(kb.out_of_scope)} out-of-scope examples; "
        f"{len(collisions)} phrasing collisions, {len(kb.warnings)} other warnings"
    )
    return 1 if args.strict and (collisions or kb.warnings) else 0


def cmd_match(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return 1
    matcher = _matcher(kb)
    out = sys.stdout
    for line in sys.stdin:
        question = line.rstrip("\r\n")
        result = matcher.match(question)
        best = result.best if result.decision == "answer" else None
        row = {
            "q": question,
            "decision": result.decision,
            "entry": best.entry if best else None,
            "topic": best.topic if best else None,
            "score": result.score,
            "confidence": result.confidence,
            "candidates": [{"entry": c.entry, "topic": c.topic, "score": c.score} for c in result.candidates],
            "options": [{"entry": c.entry, "topic": c.topic, "score": c.score} for c in result.options],
            "smalltalk": result.smalltalk,
            "concerns": [{"topic": c.topic, "entry": c.entry, "score": c.score} for c in result.concerns],
            "facts": result.facts.as_dict(),
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.core.dialog import Dialog

    kb = _load(args.knowledge)
    if kb is None:
        return 1
    dialog = Dialog(kb, _matcher(kb), as_html=False)
    reply = dialog.ask(" ".join(args.question))
    from bot.console import format_reply

    print(format_reply(reply))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.console import run_console

    kb = _load(args.knowledge)
    if kb is None:
        return 1
    try:
        retention = Settings.from_env().retention_days
    except ConfigError:
        retention = Settings().retention_days
    firm_file = Path(args.firm_file) if args.firm_file else None
    return run_console(kb, _matcher(kb), sys.stdin, sys.stdout, firm_file, retention)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.core.evaluate import Report, read_labelled, reliability_text, score

    if args.file is None and not args.held_out:
        print("give a labelled FILE, or --held-out", file=sys.stderr)
        return 2
    kb = _load(args.knowledge)
    if kb is None:
        return 1
    matcher = _matcher(kb)
    if args.held_out:
        # The calibration's own test: every phrasing and out-of-scope example scored by a
        # matcher fitted without it (k-fold).
        held = Report(calibration=matcher.held_out_calibration())
        print(f"held-out knowledge-base documents ({len(held.calibration)}):")
        print(reliability_text(held))
        if args.file is None:
            return 0

    def decide(q: str):  # type: ignore[no-untyped-def]
        r = matcher.match(q)
        return r.decision, r.candidates, matcher.clarify_options(r), r.confidence

    report = score(read_labelled(args.file), decide)
    print(json.dumps(report.summary(), ensure_ascii=False, indent=2))
    print(reliability_text(report))
    if args.mistakes:
        for m in report.mistakes:
            print(f"[{m.decision}] want={','.join(m.item.topics) or '-'} got={m.entry} :: {m.item.q[:80]}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.core.report import analyse, render_html

    kb = _load(args.knowledge)
    if kb is None:
        return 1
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    report = analyse(kb, _matcher(kb), today)
    Path(args.html).write_text(render_html(report), encoding="utf-8")
    print(
        f"wrote {args.html}: {len(kb.entries)} entries, {len(report.stale)} not reviewed since "
        f"{report.stale_before}, {len(report.collisions)} phrasing collisions, "
        f"{len(report.close_pairs)} close pairs"
    )
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from bot.core.gaps import find_gaps, summary_lines, to_csv, to_yaml
    from bot.storage import StorageError, is_postgres, open_database, sqlite_path

    target: str | Path | None = args.database
    if target is None:
        settings = _settings(args)
        if settings is None:
            return 2
        target = settings.database
    if not is_postgres(target) and not sqlite_path(target).is_file():
        print(
            f"No database at {sqlite_path(target)} (set DATABASE_URL or DATABASE_PATH, or pass --database).",
            file=sys.stderr,
        )
        return 2
    kb = _load(args.knowledge)
    if kb is None:
        return 1
    try:  # read-only: a report must not change (or migrate) the database it reads
        database = open_database(target, read_only=True)
        try:
            rows = database.learning.logged_questions()
        finally:
            database.close()
    except StorageError as exc:
        print(f"database: {exc}", file=sys.stderr)
        return 2
    report = find_gaps(rows, _matcher(kb), threshold=args.threshold)
    print("\n".join(summary_lines(report, limit=args.limit)))
    if args.csv:
        Path(args.csv).write_text(to_csv(report), encoding="utf-8")
        print(f"wrote {args.csv}")
    if args.yaml:
        Path(args.yaml).write_text(to_yaml(report), encoding="utf-8")
        print(f"wrote {args.yaml}")
    return 0


def _settings(args: argparse.Namespace) -> Settings | None:
    try:
        settings = Settings.from_env(knowledge_dir=args.knowledge)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return None
    logs.protect(settings.token, settings.webhook_secret)
    logs.set_level(settings.log_level)
    return settings


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

    settings = _settings(args)
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
    settings = _settings(args)
    if settings is None:
        return 2
    if not settings.token:
        print(
            "TELEGRAM_BOT_TOKEN is not set. Set it, or try the bot offline with: python -m bot chat",
            file=sys.stderr,
        )
        return 2
    kb = _load(settings.knowledge_dir)
    if kb is None:
        return 1
    if not _database_ready(settings):
        return 2
    from bot.tg.app import run_polling

    return _serve(run_polling, settings, kb)


def cmd_webhook(args: argparse.Namespace) -> int:
    settings = _settings(args)
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
    kb = _load(settings.knowledge_dir)
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
    _stdout_utf8()
    # python-telegram-bot 22 warns on every RetryAfter unless durations are timedeltas;
    # opt in to the new behaviour (the outbox handles both forms).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = build_parser().parse_args(argv)
    logs.setup()
    result: int = args.func(args)
    return result
