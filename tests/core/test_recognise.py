"""Recognisers: lenders, amounts, times, people and places become facts and class words."""

from __future__ import annotations

import pytest

from bot.core.model import Lender
from bot.core.normalize import Normalizer
from bot.core.recognise import AMOUNT_TOKEN, CLOCK_TOKEN, DATE_TOKEN, NUMBER_TOKEN, Recogniser

LENDERS = (
    Lender("银行", "bank", "银行", generic=True, not_before=("卡",)),
    Lender("光大银行", "bank", "银行", short=("光大", "广大")),
    Lender("交通银行", "bank", "银行", variants=("交行",), short=("交通",)),
    Lender("京东金条", "platform", "网贷", variants=("金条",)),
    Lender("借呗", "consumer-finance", "网贷", variants=("蚂蚁借呗",)),
    Lender("微粒贷", "bank", "网贷", variants=("微利贷",)),
)
PEOPLE = {"爸妈": "父母", "我爸妈": "父母", "老婆": "配偶"}
PLACES = {"户籍地": "老家", "工作单位": "单位"}


def analyse(text: str) -> tuple[str, object]:
    return Normalizer({}, Recogniser(LENDERS, PEOPLE, PLACES)).analyse(text)


@pytest.mark.parametrize(
    ("text", "name", "kind", "word"),
    [
        ("交通银行催收要上门", "交通银行", "bank", "银行催收要上门"),
        ("交行催收要上门", "交通银行", "bank", "银行催收要上门"),
        ("光大银行逾期了", "光大银行", "bank", "银行逾期了"),
        ("广大信用卡催收上门", "光大银行", "bank", "信用卡催收上门"),
        ("金条逾期了", "京东金条", "platform", "网贷逾期了"),
        ("蚂蚁借呗还不上", "借呗", "consumer-finance", "网贷还不上"),
        ("微利贷逾期", "微粒贷", "bank", "网贷逾期"),
    ],
)
def test_lender_forms_become_facts_and_class_words(text, name, kind, word):
    normalized, facts = analyse(text)
    assert facts.lender == (name,) and kind in facts.lender_type
    assert normalized == word


def test_generic_and_excluded_lender_words():
    _, facts = analyse("银行的催收要上门")
    assert facts.lender == () and facts.lender_type == ("bank",)
    _, facts = analyse("银行卡被冻结了")
    assert facts.lender_type == ()  # 银行卡 is a bank card, not a lender
    _, facts = analyse("广大群众")  # a short name counts only before 银行/信用卡
    assert facts.lender == ()


@pytest.mark.parametrize(
    ("text", "amount"),
    [("金条欠9000要上门", "9000"), ("信用卡欠了3万2", "3万2"), ("借了1500元", "1500元"), ("欠款2.5万", "2.5万"), ("欠了五千块", "五千块")],
)
def test_amounts(text, amount):
    normalized, facts = analyse(text)
    assert facts.amount == (amount,)
    assert AMOUNT_TOKEN in normalized.split()
    assert not any(ch.isdigit() for ch in normalized)


@pytest.mark.parametrize(
    ("text", "when", "token"),
    [
        ("今天下午3点前必须还", "今天下午3点", CLOCK_TOKEN),
        ("12点前还款合法吗", "12点", CLOCK_TOKEN),
        ("十二点之前还清", "十二点", CLOCK_TOKEN),
        ("限我12:30前还上", "12:30", CLOCK_TOKEN),
        ("我是6号还款", "6号", DATE_TOKEN),
        ("3月5日到期", "3月5日", DATE_TOKEN),
        ("2018年借的", "2018年", DATE_TOKEN),
    ],
)
def test_clock_times_and_dates(text, when, token):
    normalized, facts = analyse(text)
    assert when in facts.when
    assert token in normalized.split()


def test_counts_become_ji_and_words_with_numerals_stay():
    assert analyse("逾期3天了")[0] == "逾期几天了"
    assert analyse("逾期三个月")[0] == "逾期几个月"
    assert analyse("每天几十个电话")[0] == "每天几十个电话"
    assert analyse("要求一次性还清")[0] == "要求一次性还清"
    normalized, facts = analyse("6")
    assert normalized == NUMBER_TOKEN and facts.amount == ()


def test_people_and_places():
    normalized, facts = analyse("催收打给我爸妈和老婆，还要去户籍地")
    assert facts.who == ("父母", "配偶") and facts.where == ("老家",)
    assert "父母" in normalized and "配偶" in normalized and "老家" in normalized


def test_day_words_are_facts_not_removed():
    normalized, facts = analyse("催收说今天下午要来")
    assert facts.when == ("今天",) and "今天" in normalized


def test_real_lenders_file_recognises_the_common_products(real_kb):
    normalizer = Normalizer(real_kb.synonyms, Recogniser(real_kb.lenders, real_kb.people, real_kb.places))
    for text, name in [
        ("花呗逾期", "花呗"),
        ("借呗逾期", "借呗"),
        ("京东白条", "京东白条"),
        ("金条逾期", "京东金条"),
        ("微粒贷逾期", "微粒贷"),
        ("网商贷逾期", "网商贷"),
        ("美团逾期", "美团"),
        ("分期乐逾期", "分期乐"),
        ("宁波银行逾期", "宁波银行"),
        ("广大信用卡逾期", "光大银行"),
    ]:
        assert normalizer.analyse(text)[1].lender == (name,), text
    assert {t.id for t in real_kb.lender_types} == {"bank", "consumer-finance", "micro-lender", "platform"}
    for lender_type in real_kb.lender_types:
        assert lender_type.note and "<" not in lender_type.note
