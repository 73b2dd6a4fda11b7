"""`python -m bot run` with an older configuration, for comparison in the load benchmark only.

python -m benchmarks.variant_bot ptb-default          PTB's AIORateLimiter alone, updates one at a time
python -m benchmarks.variant_bot sequential-limited   our ChatRateLimiter, updates one at a time
"""

from __future__ import annotations

import sys

from telegram.ext import AIORateLimiter

import bot.tg.app
from bot.cli import main


def one_at_a_time() -> None:
    # Replaced before build_application looks them up; only this throwaway process sees it.
    setattr(bot.tg.app, "PerChatUpdateProcessor", lambda: False)  # noqa: B010


def ptb_default() -> None:
    setattr(bot.tg.app, "ChatRateLimiter", AIORateLimiter)  # noqa: B010
    one_at_a_time()


VARIANTS = {"ptb-default": ptb_default, "sequential-limited": one_at_a_time}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        raise SystemExit(f"usage: python -m benchmarks.variant_bot {{{','.join(VARIANTS)}}}")
    VARIANTS[sys.argv[1]]()
    raise SystemExit(main(["run"]))
