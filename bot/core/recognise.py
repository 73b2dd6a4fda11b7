"""What a question is about, apart from how it is worded: lenders, amounts, times, people, places.

Borrowers name their lender (交通银行, 金条, 广大信用卡), an amount (欠9000, 三万二), a clock time
(今天下午3点前), relatives and places. None of these decides which answer fits — a door visit is a
door visit whether the lender is 宁波银行 or 借呗 — but as raw characters they pull a question
towards whichever entry happens to share them (9000 shares digits with 12点; 交通 with nothing
useful). So they are recognised once, kept as structured `Facts`, and replaced by one class word
or token each before matching:

* lenders and products (from `knowledge/lenders.yaml`) -> their class word, 银行 or 网贷;
* people and places (from `knowledge/who_where.yaml`) -> a canonical word (父母, 配偶, 单位 …);
* amounts -> `zzamount`, clock times -> `zzclock`, dates -> `zzdate`, other bare numbers ->
  `zznumber` (ASCII tokens: after normalisation no user text can produce them by accident);
* a number before a unit of time or count (3天, 三个月, 两次) -> 几, the word borrowers use
  when they don't give one (逾期几天), so 逾期3天 and 逾期几天 look alike.

Runs on text that is already width-, case- and script-normalised, before punctuation is
stripped (12:00 and 3.5万 still hold their punctuation). Pure: plain strings in and out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.model import Lender

AMOUNT_TOKEN = "zzamount"
CLOCK_TOKEN = "zzclock"
DATE_TOKEN = "zzdate"
NUMBER_TOKEN = "zznumber"
CLASS_TOKENS = frozenset({AMOUNT_TOKEN, CLOCK_TOKEN, DATE_TOKEN, NUMBER_TOKEN})

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+(?:[.,]\d+)*|[{_CN_DIGITS}]+)"
# Clock times: 12点, 下午3点前, 十二点半, 12:00. A Chinese 一点 is left alone (一点点 = "a little").
_CLOCK = re.compile(
    rf"(?:今天|明天|后天|今晚)?(?:凌晨|早上|上午|中午|下午|傍晚|晚上)?"
    rf"(?:\d{{1,2}}:\d{{2}}|(?:\d{{1,2}}|[两二三四五六七八九十]{{1,3}})(?:点|时)(?:半|\d{{1,2}}分|[{_CN_DIGITS}]{{1,3}}分)?)"
)
_DATE = re.compile(
    rf"(?:\d{{4}}年)?{_NUM}月{_NUM}(?:日|号)|\d{{4}}年(?:{_NUM}月)?|(?<![\d{_CN_DIGITS}]){_NUM}(?:号|日)(?![常子])"
)
# Amounts: a number with a money unit, or after a verb of borrowing/owing, or 4+ digits alone.
_MONEY_UNIT = r"(?:多)?(?:万|w|千|k)?(?:多)?(?:块钱|块|元|rmb|人民币)"
_AMOUNT = re.compile(
    rf"{_NUM}(?:万|w|千|k)?多?{_NUM}?{_MONEY_UNIT}"
    rf"|(?<=欠|借|还|贷|额)(?:了|款)?{_NUM}(?:万|w|千|k)?多?{_NUM}?(?:{_MONEY_UNIT})?"
    rf"|{_NUM}(?:万|w)多?{_NUM}?"
    rf"|\d{{4,}}(?:\.\d+)?"
)
# A count before a unit of time or quantity keeps the unit: 逾期3天 -> 逾期几天. 一次性 is a word.
_COUNT = re.compile(
    rf"(?<![几\d{_CN_DIGITS}]){_NUM}多?(?=(?:个)?(?:天|日|周|星期|个月|月|年|期|次|小时|分钟|个|家|笔|张|通)(?!性))"
)
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DAY_WORDS = re.compile(r"今天|明天|后天|今晚|当天|今日|明日|周末|月底|月初")


@dataclass(frozen=True)
class Facts:
    """What a question said about its circumstances (each tuple in order of first mention)."""

    lender: tuple[str, ...] = ()  # canonical names, e.g. 光大银行, 花呗
    lender_type: tuple[str, ...] = ()  # bank | consumer-finance | micro-lender | platform
    amount: tuple[str, ...] = ()  # as written, e.g. 9000, 三万二
    when: tuple[str, ...] = ()  # clock times, dates and day words as written
    who: tuple[str, ...] = ()  # canonical people, e.g. 父母, 配偶
    where: tuple[str, ...] = ()  # canonical places, e.g. 家里, 单位

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "lender": list(self.lender),
            "lender_type": list(self.lender_type),
            "amount": list(self.amount),
            "when": list(self.when),
            "who": list(self.who),
            "where": list(self.where),
        }


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(words), key=len, reverse=True)
    if not ordered:
        return None
    parts = [rf"(?<![0-9a-z]){re.escape(w)}(?![0-9a-z])" if w.isascii() else re.escape(w) for w in ordered]
    return re.compile("|".join(parts))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


class Recogniser:
    """Finds lenders, amounts, times, people and places; returns the text with class words."""

    def __init__(
        self,
        lenders: Sequence[Lender] = (),
        people: Mapping[str, str] | None = None,
        places: Mapping[str, str] | None = None,
    ) -> None:
        # variant -> (lender, replacement word); short names only count before 银行/信用卡 etc.
        self._lenders: dict[str, tuple[Lender, str]] = {}
        short: dict[str, Lender] = {}
        for lender in lenders:
            for variant in (lender.name, *lender.variants):
                self._lenders.setdefault(variant.lower(), (lender, lender.word))
            for name in lender.short:
                short.setdefault(name.lower(), lender)
        self._short = short
        self._lender_re = _alternation(self._lenders)
        # 光大 / 广大 count as a bank only right before what a bank issues; 银行 is absorbed,
        # 信用卡 stays (it is a word the entries use).
        self._short_re = (
            re.compile(
                "(" + "|".join(re.escape(s) for s in sorted(short, key=len, reverse=True)) + ")"
                r"(银行|(?=信用卡|xyk|卡中心|卡))"
            )
            if short
            else None
        )
        # People and places share one pass, canonical words included (mapping to themselves),
        # so that the longest word wins at each position (家人 is not 家 + 人).
        self._who_where: dict[str, tuple[str, str]] = {}
        for kind, table in (("who", people or {}), ("where", places or {})):
            for variant, canonical in table.items():
                self._who_where.setdefault(canonical.lower(), (kind, canonical))
                self._who_where.setdefault(variant.lower(), (kind, canonical))
        self._who_where_re = _alternation(self._who_where)

    def __call__(self, text: str) -> tuple[str, Facts]:
        """`text` must already be NFKC-normalised, lower-case and Simplified."""
        names: list[str] = []
        types: list[str] = []

        def lender_word(m: re.Match[str]) -> str:
            lender, word = self._lenders[m.group(0)]
            if lender.not_before and m.string.startswith(lender.not_before, m.end()):
                return m.group(0)
            names.append("" if lender.generic else lender.name)
            types.append(lender.type)
            return word

        def short_word(m: re.Match[str]) -> str:
            lender = self._short[m.group(1)]
            names.append(lender.name)
            types.append(lender.type)
            return lender.word if m.group(2) else ""

        if self._short_re is not None:
            text = self._short_re.sub(short_word, text)
        if self._lender_re is not None:
            text = self._lender_re.sub(lender_word, text)

        when: list[str] = []
        amounts: list[str] = []

        def keep(bucket: list[str], token: str) -> Callable[[re.Match[str]], str]:
            def sub(m: re.Match[str]) -> str:
                bucket.append(m.group(0))
                return f" {token} "

            return sub

        text = _CLOCK.sub(keep(when, CLOCK_TOKEN), text)
        text = _DATE.sub(keep(when, DATE_TOKEN), text)
        text = _AMOUNT.sub(keep(amounts, AMOUNT_TOKEN), text)
        text = _COUNT.sub("几", text)
        text = _BARE_NUMBER.sub(f" {NUMBER_TOKEN} ", text)
        when += [d for d in _DAY_WORDS.findall(text) if not any(d in w for w in when)]

        found: dict[str, list[str]] = {"who": [], "where": []}

        def person_or_place(m: re.Match[str]) -> str:
            kind, canonical = self._who_where[m.group(0)]
            found[kind].append(canonical)
            return canonical

        if self._who_where_re is not None:
            text = self._who_where_re.sub(person_or_place, text)
        facts = Facts(
            lender=_unique(names),
            lender_type=_unique(types),
            amount=_unique(a.strip().lstrip("了款") for a in amounts),
            when=_unique(when),
            who=_unique(found["who"]),
            where=_unique(found["where"]),
        )
        return text, facts
