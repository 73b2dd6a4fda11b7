"""The log guard: the token never appears, no line is longer than 1 KB (plus a short note)."""

import logging
import sys

from bot.logs import REDACTED, LogGuard, truncate

TOKEN = "123456:AAH-secretSECRETsecret_k9ut"


def record(msg, *args, exc_info=None):
    return logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, msg, args, exc_info)


def formatted(guard, rec):
    guard.filter(rec)
    return logging.Formatter("%(message)s").format(rec)


def test_the_token_is_redacted_in_messages_arguments_and_tracebacks():
    guard = LogGuard()
    guard.protect(TOKEN)
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError:
        rec = record(
            "GET https://api.telegram.org/bot%s/getMe and %s",
            TOKEN,
            TOKEN.split(":")[1],
            exc_info=sys.exc_info(),
        )
    out = formatted(guard, rec)
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    assert out.count(REDACTED) == 3


def test_a_huge_payload_is_cut_to_one_kilobyte():
    guard = LogGuard()
    body = '{"update_id": 1, "message": "' + "x" * 1_000_000 + '"}'
    try:
        raise RuntimeError(body)
    except RuntimeError:
        rec = record("Received data was %r", body, exc_info=sys.exc_info())
    out = formatted(guard, rec)
    assert max(len(line.encode()) for line in out.splitlines()) < 1100
    assert "bytes, cut to 1024]" in out


def test_truncation_never_splits_a_character():
    assert truncate("字" * 1000).startswith("字" * 341 + "…")
    assert truncate("short") == "short"
