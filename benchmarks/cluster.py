"""End-to-end load on webhook instances: 1 on SQLite, 1 and 2 on PostgreSQL.

Usage:
    python -m benchmarks.cluster [--users 40] [--questions 10] [--no-limits] [--out F]

Each configuration runs `python -m bot webhook` processes (tests/webhooks.py) against the fake
Bot API (tests/fakebotapi.py, enforcing our model of Telegram's limits unless --no-limits).
Simulated users ask, wait for the reply and ask again at once; their updates are POSTed the way
Telegram delivers a webhook, spread over the instances. PostgreSQL: the server at
$TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), in a schema made for the
run and dropped after it; rows are left out when it is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.common import default_questions, emit, peak_in_window, percentile, table
from bot.core.evaluate import read_labelled
from bot.storage import migrate_database
from tests.fakebotapi import FakeBotApi, TelegramLimits
from tests.webhooks import WebhookInstance, WebhookSender

FIRST_USER = 700_001


@dataclass
class ClusterResult:
    engine: str
    instances: int
    users: int
    per_user: int
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    sends: list[float] = field(default_factory=list)
    rejected: int = 0
    delivered: list[int] = field(default_factory=list)


async def run_cluster(
    engine: str,
    instances: int,
    users: int,
    per_user: int,
    questions: list[str],
    limits: bool,
    database_url: str,
) -> ClusterResult:
    result = ClusterResult(engine, instances, users, per_user)
    api = FakeBotApi(limits=TelegramLimits() if limits else None)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "DATABASE_PATH": str(Path(tmp) / "bot.sqlite3"),
        }
        if database_url:
            migrate_database(database_url)
        procs = [WebhookInstance(f"web-{i + 1}", api, Path(tmp), env) for i in range(instances)]
        try:
            await asyncio.gather(*(p.start() for p in procs))
            await asyncio.sleep(6 if instances > 1 else 0.5)  # a heartbeat: the send limit is split
            mark, rejected = len(api.calls), api.rejected
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
                sender = WebhookSender(procs, session)

                async def user(index: int) -> None:
                    uid = FIRST_USER + index
                    for k in range(per_user):
                        question = questions[(index * per_user + k) % len(questions)]
                        before = len(api.calls)
                        started = time.monotonic()
                        api.updates.clear()
                        await sender.deliver(api.push_message(uid, question), index + k)
                        reply = next(
                            (
                                c
                                for c in api.calls[before:]
                                if c.method == "sendMessage" and c.params.get("chat_id") == uid
                            ),
                            None,
                        )
                        if reply is not None:
                            result.latencies.append(reply.at - started)

                started = time.monotonic()
                await asyncio.gather(*(user(i) for i in range(users)))
                result.elapsed = time.monotonic() - started
                result.delivered = list(sender.delivered)
            result.sends = sorted(
                c.at
                for c in api.calls[mark:]
                if not c.method.startswith("FAILED") and isinstance(c.params.get("chat_id"), int)
            )
            result.rejected = api.rejected - rejected
        finally:
            for p in procs:
                await p.stop()
            await api.stop()
    return result


def report(results: list[ClusterResult], limits: bool, note: str = "") -> str:
    rows = []
    for r in results:
        lat = r.latencies or [float("nan")]
        span = (r.sends[-1] - r.sends[0]) if len(r.sends) > 1 else float("nan")
        rows.append(
            [
                r.engine,
                r.instances,
                f"{r.users}×{r.per_user}",
                f"{len(r.latencies)}/{r.users * r.per_user}",
                f"{1000 * percentile(lat, 50):.0f}",
                f"{1000 * percentile(lat, 90):.0f}",
                f"{1000 * percentile(lat, 99):.0f}",
                f"{len(r.latencies) / r.elapsed:.1f}" if r.elapsed else "-",
                f"{len(r.sends) / span:.1f}",
                peak_in_window(r.sends, 1.0),
                r.rejected,
                "/".join(str(n) for n in r.delivered),
            ]
        )
    return (
        "## Webhook instances: SQLite and PostgreSQL\n\n"
        "`python -m bot webhook` processes behind the fake Bot API; users ask, wait for the reply and ask "
        "again (closed loop), their updates POSTed like Telegram's webhook, spread over the instances. "
        "Latency: update POSTed → the reply's sendMessage answered by the fake server. "
        + (
            "The fake server answers 429 above 30 messages/s overall or 1/s per chat (burst 3). "
            if limits
            else "Limits not enforced. "
        )
        + "SEND_RATE is the default 25/s, split among the instances.\n\n"
        + table(
            [
                "database",
                "instances",
                "users×questions",
                "replies",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "replies/s",
                "sends/s",
                "peak sends in 1 s",
                "429s",
                "updates per instance",
            ],
            rows,
        )
        + ("\n\n" + note if note else "")
        + "\n"
    )


async def run_all(
    users: int, per_user: int, questions: list[str], limits: bool
) -> tuple[list[ClusterResult], str]:
    results = [await run_cluster("SQLite", 1, users, per_user, questions, limits, "")]
    print("cluster: sqlite done", file=sys.stderr, flush=True)
    try:
        from tests.pg import SERVER_URL, Schemas

        schemas = Schemas(SERVER_URL)
        try:
            for n in (1, 2):
                results.append(
                    await run_cluster("PostgreSQL", n, users, per_user, questions, limits, schemas.new())
                )
                print(f"cluster: postgres ×{n} done", file=sys.stderr, flush=True)
        finally:
            schemas.drop_all()
    except Exception as exc:  # no PostgreSQL here: say so in the report rather than fail the bench
        return results, f"PostgreSQL rows left out: {type(exc).__name__}: {str(exc).strip().splitlines()[-1]}"
    return results, ""


def run(questions_file: Path, users: int = 40, per_user: int = 10, limits: bool = True) -> str:
    questions = [item.q for item in read_labelled(questions_file)]
    results, note = asyncio.run(run_all(users, per_user, questions, limits))
    return report(results, limits, note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument("--file", type=Path, default=None, help="labelled .jsonl to draw questions from")
    parser.add_argument("--no-limits", action="store_true", help="the fake server does not answer 429")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    text = run(args.file or default_questions(), args.users, args.questions, not args.no_limits)
    return emit(text, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
