"""The December 2026 legal audit of the bundled knowledge base (issue 11) stays fixed.

Each of the audit's 18 findings names one entry. For each, the article the fix rests on is
cited in that entry's `legal_basis` (or said in the answer where the point is a hedge), and the
outdated or over-firm wording is gone. Facts: the project's legal fact sheet, §18.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from bot.core.knowledge import KnowledgeBase

AUDIT_DATE = dt.date(2026, 12, 7)


@dataclass(frozen=True)
class Fix:
    entry: str
    # (law, article, article, …): one legal_basis item names the law and each article
    # (an article may also sit in another item of the same law).
    cites: tuple[tuple[str, ...], ...] = ()
    says: tuple[str, ...] = ()  # each appears in the answer
    gone: tuple[str, ...] = ()  # none appears in the answer or the legal basis


FIXES = [
    # Outdated: the 2015 consumption-restriction rules replaced the 2010 "用自己的财产" wording.
    Fix(
        "court-enforcement-consumption-limit",
        cites=(("关于限制被执行人高消费及有关消费的若干规定》", "第一条", "第三条", "第八条", "第九条"),),
        says=("非生活、工作必需的消费", "G字头动车组列车", "自己的钱为自己消费"),
        gone=("用自己的财产", "被执行人的财产", "通常使用的限制消费令", "以其财产支付"),
    ),
    # Harmful by omission: the guarantee period, and the co-borrower limit on interruption.
    Fix(
        "family-liability-guarantor",
        cites=(
            ("《民法典》", "第六百八十七条", "第六百九十二条", "第六百九十三条", "第七百条"),
            ("有关担保制度的解释》", "第三十二条", "第三十四条", "第三十五条"),
        ),
        says=("保证期间", "借款到期之日起6个月", "不中止、不中断、不延长", "催款通知", "共同借款人中一人的时效中断"),
        gone=("对一个连带债务人发生的时效中断",),
    ),
    # Stated more firmly than the sources allow.
    Fix(
        "door-visit-lawful",
        cites=(
            ("《治安管理处罚法》", "第四十七条第（三）项", "第五十条", "第一款第（五）项"),
            ("《刑法》", "第二百四十五条"),
        ),
        says=("进屋后叫走不走", "进屋后被要求离开仍拒不离开", "在门外"),
        gone=("、叫走不走", "或被要求离开后仍拒不离开"),
    ),
    Fix(
        "contacts-harassment-family",
        cites=(("《个人信息保护法》", "第十条", "第二十三条", "第二十五条"),),
        says=("个人信息保护法",),
        gone=("监管上一般同样不允许",),
    ),
    Fix(
        "contacts-will-they-tell-family",
        cites=(("《个人信息保护法》", "第十条", "第二十三条", "第二十五条"),),
        says=("个人信息保护法",),
        gone=("监管上一般同样不允许",),
    ),
    Fix(
        "abusive-calls-frequency-night",
        cites=(("《民法典》", "第一千零三十三条"), ("《治安管理处罚法》", "第五十条")),
        says=("不一定受这份规则约束",),
        gone=("一般也不允许骚扰式催收",),
    ),
    Fix(
        "complaint-online-loan",
        says=("2021年品牌分离后", "以借款合同所列放款机构为准"),
        gone=("花呗、借呗：由重庆蚂蚁消费金融有限公司提供",),
    ),
    Fix(
        "late-payment-few-days",
        cites=(("《民法典》", "第六百七十五条"),),
        says=("放款机构以借款合同所列为准",),
        gone=("持牌机构发放",),
    ),
    # Basis missing.
    Fix(
        "cannot-pay-personal-bankruptcy",
        cites=(("《深圳经济特区个人破产条例》",), ("《浙江法院个人债务集中清理（类个人破产）工作指引（试行）》",)),
        says=("2021年3月1日", "连续参加深圳社保满3年", "破产清算、重整或和解", "个人债务集中清理", "社保或个税满3年"),
        gone=("一般认为，国家层面还没有统一的个人破产法律",),
    ),
    Fix(
        "privacy-exposure-public-shaming",
        cites=(("《民法典》", "第一千零一十九条", "第一千零三十三条第（五）项"),),
        says=("肖像权", "丑化、污损", "利用信息技术手段伪造"),
    ),
    Fix(
        "interest-fees-legal-cap",
        cites=(("银行卡民事纠纷案件若干问题的规定》", "第二条"),),
        gone=("24%左右", "调减过高息费的参考", "法发〔2017〕22号"),
    ),
    Fix(
        "court-enforcement-cannot-pay",
        cites=(
            ("法释〔2024〕13号", "第三条第（一）项", "第（四）项", "第（八）项", "第五条", "第六条", "第十一条"),
        ),
        says=("提起公诉前履行义务的，可能不被起诉", "一审判决前"),
        gone=("也可能不被起诉或获得从宽处理",),
    ),
    Fix(
        "credit-report-one-time-repair",
        cites=(("《中国人民银行关于实施一次性信用修复政策有关安排的通知》",),),
        gone=("中国人民银行一次性信用修复政策（",),
    ),
    Fix(
        "cannot-pay-what-happens",
        cites=(
            ("关于公布失信被执行人名单信息的若干规定》", "第一条"),
            ("关于限制被执行人高消费及有关消费的若干规定》", "第一条"),
            ("《民事诉讼法》", "第一百零三条"),
        ),
    ),
    Fix(
        "amount-dispute-statement",
        cites=(("银行卡民事纠纷案件若干问题的规定》", "第二条"), ("《银行业保险业消费投诉处理管理办法》",)),
        says=("15日内",),
    ),
    Fix(
        "collector-identity-law-firm",
        cites=(
            ("《人民法院在线调解规则》", "第十八条"),
            ("关于适用〈中华人民共和国民事诉讼法〉的解释》", "第一百零七条"),
        ),
        says=("让步，一般不能在以后的诉讼中当作对您不利的依据",),
    ),
    Fix(
        "lawsuit-pre-mediation",
        cites=(("《民事诉讼法》", "第一百条"),),
        says=("调解书经双方签收即生效",),
    ),
    Fix(
        "interest-fees-credit-card",
        cites=(
            ("《中国人民银行关于推进信用卡透支利率市场化改革的通知》",),
            ("《关于进一步促进信用卡业务规范健康发展的通知》",),
        ),
        says=("2021年1月1日起", "最高年化利率"),
    ),
]


def test_the_audit_has_eighteen_findings_one_entry_each():
    assert len(FIXES) == 18
    assert len({fix.entry for fix in FIXES}) == 18


@pytest.mark.parametrize("fix", FIXES, ids=lambda fix: fix.entry)
def test_audit_finding_stays_fixed(real_kb: KnowledgeBase, fix: Fix):
    entry = real_kb.entry(fix.entry)
    assert entry is not None, fix.entry
    for law, *articles in fix.cites:
        items = [item for item in entry.legal_basis if law in item]
        assert items, f"{fix.entry}: {law} is not cited in {entry.legal_basis}"
        for article in articles:
            assert any(article in item for item in items), f"{fix.entry}: {law}{article} is not cited"
    for phrase in fix.says:
        assert phrase in entry.answer, f"{fix.entry}: the answer should say {phrase!r}"
    for phrase in fix.gone:
        assert phrase not in entry.answer, f"{fix.entry}: the answer still says {phrase!r}"
        assert not any(phrase in item for item in entry.legal_basis), f"{fix.entry}: still cites {phrase!r}"
    assert entry.reviewed >= AUDIT_DATE, f"{fix.entry}: reviewed {entry.reviewed}, before the audit"


def test_no_entry_states_the_2010_consumption_wording_or_the_unverified_24_percent_benchmark(real_kb):
    # These were wrong or unverified anywhere in the base, not only in the entries the audit named.
    for entry in real_kb.entries:
        text = entry.answer + "".join(entry.legal_basis)
        assert "用自己的财产乘坐" not in text, entry.id
        assert "法发〔2017〕22号" not in text, entry.id
        assert "调减过高息费的参考" not in text, entry.id
