"""The commands that work on the knowledge base and the matcher, without Telegram: `check`,
`match`, `ask`, `chat`, `eval`, `report` and `gaps` (bot/cli.py parses the command line)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot import logs
from bot.config import ConfigError, Settings, knowledge_dir_from
from bot.core.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.core.matcher import Matcher, build_matcher


def load_or_report(directory: str | Path | None) -> KnowledgeBase | None:
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


def matcher_from_env(kb: KnowledgeBase) -> Matcher:
    """The production matcher, configured from the environment (MODEL_CACHE_DIR, SEMANTIC_MODEL)."""
    try:
        settings = Settings.from_env()
    except ConfigError:
        settings = Settings()
    return build_matcher(kb, settings.model_cache_dir, semantic=settings.semantic)


def stdout_utf8() -> None:
    # Console chat and batch output must survive a non-UTF-8 locale (e.g. LANG=C in CI).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


def settings_or_report(args: argparse.Namespace) -> Settings | None:
    """The settings from the environment (secrets protected in the logs), or None with the
    configuration error printed."""
    try:
        settings = Settings.from_env(knowledge_dir=args.knowledge)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return None
    logs.protect(settings.token, settings.webhook_secret)
    logs.set_level(settings.log_level)
    return settings


def cmd_check(args: argparse.Namespace) -> int:
    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    for warning in kb.warnings:
        print(f"warning: {warning}")
    from bot.core.report import phrasing_source

    matcher = matcher_from_env(kb)
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
    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    matcher = matcher_from_env(kb)
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

    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    dialog = Dialog(kb, matcher_from_env(kb), as_html=False)
    reply = dialog.ask(" ".join(args.question))
    from bot.console import format_reply

    print(format_reply(reply))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.console import run_console

    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    try:
        retention = Settings.from_env().retention_days
    except ConfigError:
        retention = Settings().retention_days
    firm_file = Path(args.firm_file) if args.firm_file else None
    return run_console(kb, matcher_from_env(kb), sys.stdin, sys.stdout, firm_file, retention)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.core.evaluate import Report, read_labelled, reliability_text, score

    if args.file is None and not args.held_out:
        print("give a labelled FILE, or --held-out", file=sys.stderr)
        return 2
    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    matcher = matcher_from_env(kb)
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

    kb = load_or_report(args.knowledge)
    if kb is None:
        return 1
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    report = analyse(kb, matcher_from_env(kb), today)
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
        settings = settings_or_report(args)
        if settings is None:
            return 2
        target = settings.database
    if not is_postgres(target) and not sqlite_path(target).is_file():
        print(
            f"No database at {sqlite_path(target)} (set DATABASE_URL or DATABASE_PATH, or pass --database).",
            file=sys.stderr,
        )
        return 2
    kb = load_or_report(args.knowledge)
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
    report = find_gaps(rows, matcher_from_env(kb), threshold=args.threshold)
    print("\n".join(summary_lines(report, limit=args.limit)))
    if args.csv:
        Path(args.csv).write_text(to_csv(report), encoding="utf-8")
        print(f"wrote {args.csv}")
    if args.yaml:
        Path(args.yaml).write_text(to_yaml(report), encoding="utf-8")
        print(f"wrote {args.yaml}")
    return 0
