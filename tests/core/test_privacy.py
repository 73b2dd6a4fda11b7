"""Personal numbers are masked before logging or storing."""

import logging

from bot.core.privacy import MaskingFormatter, mask_pii


def test_masks_phone_id_and_bank_card():
    text = "手机13812345678 身份证11010119900307123X 卡 6222 0202 0001 2345 678"
    masked = mask_pii(text)
    assert "13812345678" not in masked
    assert "11010119900307123X" not in masked
    assert "6222 0202 0001 2345 678" not in masked
    assert "[手机***5678]" in masked
    assert "[身份证***123X]" in masked
    assert "[卡号***5678]" in masked


def test_keeps_amounts_dates_and_short_numbers():
    text = "欠了50000元，2026年12月1日前，12点，逾期90天"
    assert mask_pii(text) == text


def test_formatter_masks_tracebacks_too():
    formatter = MaskingFormatter(logging.Formatter("%(message)s"))
    try:
        raise ValueError("bad input 13812345678")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "user said %s", ("13912345678",), sys.exc_info()
        )
    out = formatter.format(record)
    assert "13812345678" not in out and "13912345678" not in out
    assert "[手机***5678]" in out
