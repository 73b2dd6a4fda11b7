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


PHONE_FORMS = [
    "13812345678",
    "138 1234 5678",
    "138  1234  5678",  # double spaces
    "138.1234.5678",
    "138-1234-5678",
    "138－1234－5678",  # full-width hyphen
    "138．1234．5678",  # full-width dot
    "138　1234　5678",  # ideographic space
    "138—1234—5678",
    "１３８１２３４５６７８",  # full-width digits
    "１３８ １２３４ ５６７８",
    "+86 138 1234 5678",
    "+86-138-1234-5678",
]
CARD_FORMS = [
    "6222021234567890123",
    "6222 0212 3456 7890 123",
    "6222  0212  3456  7890  123",
    "6222.0212.3456.7890.123",
    "6222-0212-3456-7890-123",
    "６２２２　０２１２　３４５６　７８９０　１２３",
]
ID_FORMS = [
    "11010119900307123x",
    "110101 19900307 123X",
    "110101-19900307-123X",
    "１１０１０１１９９００３０７１２３Ｘ",
]


def test_every_separator_is_masked():
    # Failure 7 of issue 12: dots and double spaces slipped through into the question log.
    for text, label in [
        *((p, "[手机***5678]") for p in PHONE_FORMS),
        *((c, "[卡号***0123]") for c in CARD_FORMS),
        *((i, "[身份证***123X]") for i in ID_FORMS),
    ]:
        assert mask_pii(f"我的号码是{text}，谢谢") == f"我的号码是{label}，谢谢", text


def test_numbers_that_are_not_personal_stay():
    text = "借了3.5万，年利率24%，2026-12-01到期，逾期90天，本金 5000 元，10:30 打来"
    assert mask_pii(text) == text


def test_numbers_side_by_side_are_masked_each_and_nothing_else():
    text = "13812345678 110101199003071234 6222021234567890123，欠 5000 3000 2000"
    assert mask_pii(text) == "[手机***5678] [身份证***1234] [卡号***0123]，欠 5000 3000 2000"
    assert mask_pii("打 138 1234 5678 2 次") == "打 [手机***5678] 2 次"
