"""End-to-end load: simulated users asking the real bot through the local fake Bot API server.

Usage:
    python -m benchmarks.load [--users 50] [--questions 20] [--file Q.jsonl] [--no-limits]
                              [--variant production|ptb-default] [--out F]

The bot runs as in production (`python -m bot run`, polling), in its own process, pointed at
tests/fakebotapi.py on 127.0.0.1. By default the server enforces our model of Telegram's
flood limits (30 messages/s overall, 1/s per chat with bursts of 3; see TelegramLimits) and
answers 429 when the bot exceeds them. Each user sends a question, waits for the reply and
sends the next at once (no think time): the harshest closed loop these users can produce.
`--variant ptb-default` runs the configuration before benchmarks existed (PTB's
AIORateLimiter only, updates one at a time) for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import PYTHON, bot_env, default_questions, emit, peak_in_window, percentile, table
from bot.config import DEFAULT_KNOWLEDGE
from bot.core.evaluate import read_labelled
from tests.fakebotapi import Call, FakeBotApi, TelegramLimits

FIRST_USER = 900_001
REPLY_TIMEOUT = 60.0


@dataclass
class LoadResult:
    variant: str
    scenario: str
    users: int
    per_user: int
    limits: TelegramLimits | None
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    elapsed: float = 0.0
    sent: int = 0
    rejected: int = 0
    peak_per_second: int = 0
    rejected_by: dict[str, int] = field(default_factory=dict)


class _Waiters:
    """Resolves a user's pending question when the bot sends to that user's chat."""

    def __init__(self) -> None:
        # Per chat, the questions still waiting for a reply, oldest first.
        self.pending: dict[int, deque[asyncio.Future[float]]] = defaultdict(deque)
        self.sends: dict[int, list[float]] = defaultdict(list)
        self.all_sends: list[float] = []

    def on_call(self, call: Call) -> None:
        if call.method != "sendMessage":
            return
        now = time.monotonic()
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            return
        self.sends[chat_id].append(now)
        self.all_sends.append(now)
        queue = self.pending.get(chat_id)
        if queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(now)

    def ask(self, api: FakeBotApi, user_id: int, question: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[user_id].append(future)
        api.push_message(user_id, question)
        return future


async def _await_reply(future: asyncio.Future[float], started: float, result: LoadResult) -> bool:
    try:
        replied = await asyncio.wait_for(future, REPLY_TIMEOUT)
    except TimeoutError:
        result.timeouts += 1
        return False
    result.latencies.append(replied - started)
    return True


async def _closed_loop_user(
    api: FakeBotApi, waiters: _Waiters, user_id: int, questions: list[str], result: LoadResult
) -> None:
    """Ask, wait for the reply, ask the next at once."""
    for q in questions:
        started = time.monotonic()
        if not await _await_reply(waiters.ask(api, user_id, q), started, result):
            return


async def _burst_user(
    api: FakeBotApi, waiters: _Waiters, user_id: int, questions: list[str], result: LoadResult
) -> None:
    """Send every question at once (a pasted list), then wait for all the replies."""
    started = time.monotonic()
    futures = [waiters.ask(api, user_id, q) for q in questions]
    await asyncio.gather(*(_await_reply(f, started, result) for f in futures))


SCENARIOS = {"closed-loop": _closed_loop_user, "burst": _burst_user}


def _bot_command(variant: str) -> list[str]:
    if variant == "production":
        return [PYTHON, "-m", "bot", "run"]
    return [PYTHON, "-m", "benchmarks.variant_bot", variant]


async def run_load(
    users: int,
    per_user: int,
    questions: list[str],
    limits: TelegramLimits | None,
    variant: str = "production",
    scenario: str = "closed-loop",
    knowledge: Path = DEFAULT_KNOWLEDGE,
    seed: int = 6,
) -> LoadResult:
    result = LoadResult(variant, scenario, users, per_user, limits)
    user = SCENARIOS[scenario]
    waiters = _Waiters()
    api = FakeBotApi(limits=limits, on_call=waiters.on_call)
    await api.start()
    rng = random.Random(seed)
    plans = [[rng.choice(questions) for _ in range(per_user)] for _ in range(users)]
    with tempfile.TemporaryDirectory() as tmp:
        env = bot_env(api.base_url, api.base_file_url, api.token, Path(tmp), knowledge)
        env["LOG_LEVEL"] = "WARNING"
        log = open(Path(tmp) / "bot.log", "wb")  # noqa: SIM115 - closed in finally
        child = subprocess.Popen(_bot_command(variant), cwd=tmp, env=env, stdout=log, stderr=log)
        try:
            t0 = time.monotonic()
            while "getUpdates" not in api.first_seen:
                if child.poll() is not None or time.monotonic() - t0 > 30:
                    raise RuntimeError(f"the bot did not start polling (exit code {child.returncode})")
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # let start-up calls (setMyCommands) drain from the buckets
            mark = len(waiters.all_sends)
            rejected_before = api.rejected
            api.rejected_by.clear()
            started = time.monotonic()
            await asyncio.gather(
                *(user(api, waiters, FIRST_USER + i, plan, result) for i, plan in enumerate(plans))
            )
            result.elapsed = time.monotonic() - started
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.to_thread(child.wait, 15)
            log.close()
            await api.stop()
    result.rejected = api.rejected - rejected_before
    result.rejected_by = dict(api.rejected_by)
    sends = waiters.all_sends[mark:]
    result.sent = len(sends)
    result.peak_per_second = peak_in_window(sends, 1.0)
    return result


VARIANTS = {
    "production": "ChatRateLimiter (PTB's AIORateLimiter at 25/s overall plus 3 messages per 3 s per "
    "private chat) and PerChatUpdateProcessor (concurrent across chats, in order within a chat)",
    "ptb-default": "PTB's AIORateLimiter alone (30/s overall, nothing per private chat), updates one at "
    "a time: the configuration before this benchmark",
    "sequential-limited": "ChatRateLimiter as in production, but updates one at a time",
}


def report(results: list[LoadResult]) -> str:
    rows = []
    for r in results:
        lat = r.latencies or [float("nan")]
        rejected = str(r.rejected)
        if r.rejected_by:
            rejected += " (" + ", ".join(f"{k} {n}" for k, n in sorted(r.rejected_by.items())) + ")"
        rows.append(
            [
                r.scenario,
                f"{r.users}×{r.per_user}",
                r.variant,
                f"{len(r.latencies)}/{r.users * r.per_user}",
                f"{1000 * percentile(lat, 50):.0f}",
                f"{1000 * percentile(lat, 90):.0f}",
                f"{1000 * percentile(lat, 99):.0f}",
                f"{1000 * max(lat):.0f}",
                f"{len(r.latencies) / r.elapsed:.1f}" if r.elapsed else "-",
                f"{r.elapsed:.1f}",
                r.peak_per_second,
                rejected,
            ]
        )
    limits = next((r.limits for r in results if r.limits), None) or TelegramLimits()
    enforced = any(r.limits for r in results)
    variants = sorted({r.variant for r in results}, key=list(VARIANTS).index)
    return (
        "## End-to-end load\n\n"
        "The real bot (`python -m bot run`, its own process) polls tests/fakebotapi.py on 127.0.0.1; "
        "simulated users push messages there. Latency: question pushed → the bot's sendMessage to that "
        "chat arrives (a burst's replies are matched in order). "
        + (
            f"The fake server answers 429 above {limits.overall_rate:.0f} messages/s overall "
            f"(burst {limits.overall_burst:.0f}) or {limits.chat_rate:.0f}/s per chat "
            f"(burst {limits.chat_burst:.0f}); the 429 column counts those answers. "
            if enforced
            else "Limits were not enforced. "
        )
        + "Scenarios: `closed-loop`: each user asks, waits for the reply and asks the next at once (no "
        "think time); `burst`: each user pastes all questions at once.\n\n"
        + table(
            [
                "scenario",
                "users×questions",
                "bot",
                "replies",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "replies/s",
                "took s",
                "peak msgs in 1 s",
                "429s",
            ],
            rows,
        )
        + "\n\n"
        + "\n".join(f"- `{v}`: {VARIANTS[v]}." for v in variants)
        + "\n"
    )


@dataclass(frozen=True)
class Plan:
    scenario: str
    users: int
    per_user: int
    variants: tuple[str, ...]


# What `make bench` runs: the 50 users × 20 questions, and bursts to show the per-chat limit.
DEFAULT_PLANS = (
    Plan("closed-loop", 50, 20, ("production", "ptb-default")),
    Plan("burst", 5, 6, ("production", "ptb-default", "sequential-limited")),
)


async def run_all(plans: tuple[Plan, ...], questions_file: Path, limits: bool) -> list[LoadResult]:
    questions = [item.q for item in read_labelled(questions_file)]
    results = []
    for plan in plans:
        for variant in plan.variants:
            results.append(
                await run_load(
                    plan.users,
                    plan.per_user,
                    questions,
                    TelegramLimits() if limits else None,
                    variant,
                    plan.scenario,
                )
            )
            print(f"load: {plan.scenario} {variant} done", file=sys.stderr, flush=True)
    return results


def run(questions_file: Path, plans: tuple[Plan, ...] = DEFAULT_PLANS, limits: bool = True) -> str:
    return report(asyncio.run(run_all(plans, questions_file, limits)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--users", type=int, help="users (with --questions: one scenario instead of the defaults)"
    )
    parser.add_argument("--questions", type=int, default=20, help="questions per user")
    parser.add_argument("--scenario", choices=list(SCENARIOS), default="closed-loop")
    parser.add_argument(
        "--variant", action="append", choices=list(VARIANTS), help="bot configuration (repeatable)"
    )
    parser.add_argument("--file", type=Path, default=None, help="labelled .jsonl to draw questions from")
    parser.add_argument("--no-limits", action="store_true", help="the fake server does not answer 429")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    plans: tuple[Plan, ...] = DEFAULT_PLANS
    if args.users:
        plans = (Plan(args.scenario, args.users, args.questions, tuple(args.variant or ["production"])),)
    text = run(args.file or default_questions(), plans, not args.no_limits)
    return emit(text, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
