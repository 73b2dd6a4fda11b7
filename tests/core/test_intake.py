"""The intake form's steps, without Telegram."""

from __future__ import annotations

import dataclasses

from bot.core.handoff import new_ref
from bot.core.handoff_texts import firm_card, my_cases, receipt
from bot.core.intake import MAX_QUESTION, Intake, IntakeData
from bot.core.messages import Texts
from bot.storage import NewEnquiry, open_for_bot


def actions(reply) -> list[str]:
    return [b.action for row in reply.buttons for b in row]


def test_full_walk_through_and_summary(min_kb):
    intake = Intake(min_kb, 90)
    step = intake.begin("上门合法吗")
    assert "90 天" in step.reply.text and "Telegram 名称" in step.reply.text and "/forget" in step.reply.text
    assert min_kb.firm.name in step.reply.text
    data = step.data
    for state, action in [
        ("consent", "i:c:yes"),
        ("lender", "i:l:bank"),
        ("overdue", "i:o:gt12"),
        ("events", "i:e:lawsuit"),
        ("events", "i:e:lawsuit"),
        ("events", "i:e:police"),
        ("events", "i:e:done"),
    ]:
        nxt = intake.button(state, data, action)
        assert nxt is not None, (state, action)
        data = nxt.data
    assert nxt.step == "amount" and data.events == ("威胁报警/坐牢",)
    nxt = intake.text("amount", data, "5万")
    nxt = intake.text(nxt.step, nxt.data, "<b>法院</b> 寄来材料")
    assert nxt.step == "confirm" and "&lt;b&gt;法院" in nxt.reply.text and "超过 12 个月" in nxt.reply.text
    done = intake.button("confirm", nxt.data, "i:s:yes")
    assert done is not None and done.submit and done.data.amount == "5万"


def test_stale_forged_and_typed_inputs(min_kb):
    intake = Intake(min_kb, 90)
    data = IntakeData()
    assert intake.button("overdue", data, "i:l:bank") is None  # a button of an earlier step
    assert intake.button("lender", data, "i:l:../../x") is None
    assert intake.button("lender", data, "i:l:yacht") is None
    typed = intake.text("lender", data, "我就想问问")
    assert typed.step == "lender" and typed.notices and "i:l:skip" in actions(typed.reply)
    too_long = intake.text("question", data, "字" * (MAX_QUESTION + 1))
    assert too_long.step == "question" and "精简" in too_long.reply.text
    declined = intake.button("consent", data, "i:c:no")
    assert declined is not None and declined.step is None and not declined.submit


def test_photo_needs_words(min_kb):
    intake = Intake(min_kb, 90)
    step = intake.photo("question", IntakeData(), "file-1", "")
    assert step.step == "question" and step.data.photo_file_id == "file-1"
    step = intake.photo("question", step.data, "file-2", "这是法院的传票")
    assert step.step == "confirm" and "1 张照片" in step.reply.text


def test_draft_round_trips_through_json():
    data = IntakeData(lender="网贷", events=("说要上门",), question="q")
    assert IntakeData.from_dict(data.to_dict()) == data
    assert IntakeData.from_dict({**data.to_dict(), "unknown": 1}) == data


def test_card_receipt_and_cases_escape_user_text(min_kb, tmp_path):
    database = open_for_bot(tmp_path / "x.sqlite3")
    enquiry = database.enquiries.create_enquiry(
        NewEnquiry(
            user_id=5,
            chat_id=5,
            user_name="<i>张</i>",
            username="zs",
            question="a < b & 13812345678",
            amount="3万",
        ),
        new_ref(),
        0.0,
    )
    t = Texts(min_kb.messages)
    card = firm_card(enquiry, t)
    assert "&lt;i&gt;张" in card.text and "a &lt; b &amp; 13812345678" in card.text and "@zs" in card.text
    assert "金额：3万" in card.text and "欠款类型" not in card.text  # only the facts filled in
    assert [b.action for row in card.buttons for b in row] == [f"e:t:{enquiry.id}", f"e:x:{enquiry.id}"]
    assert "排队中" in my_cases([enquiry], t).text
    # The receipt names only the contact lines firm.yaml has (here: neither hours nor a phone).
    text = receipt(enquiry, min_kb.firm, t).text
    assert f"#{enquiry.ref}" in text and "12348" in text
    assert "办公时间" not in text and "工作时间" not in text and "致电律所" not in text
    firm = dataclasses.replace(min_kb.firm, phone="0571-1234567", office_hours="工作日 9:00–17:30")
    text = receipt(enquiry, firm, t).text
    assert "律所办公时间：工作日 9:00–17:30。" in text and "请同时致电律所 0571-1234567" in text
    assert (
        "English" not in receipt(enquiry, firm, t.to("en")).text
        and "enquiry number" in receipt(enquiry, firm, t.to("en")).text
    )
    database.close()


def test_steps_are_numbered_truthfully_and_the_summary_has_no_empty_facts(min_kb):
    intake = Intake(min_kb, 90)
    data = IntakeData()
    numbers = []
    for state, action in [("consent", "i:c:yes"), ("lender", "i:l:skip"), ("overdue", "i:o:skip")]:
        step = intake.button(state, data, action)
        data = step.data
        numbers.append(step.reply.text.split(" ", 1)[0])
    step = intake.button("events", data, "i:e:done")
    numbers.append(step.reply.text.split(" ", 1)[0])
    step = intake.button("amount", step.data, "i:a:skip")
    numbers.append(step.reply.text.split(" ", 1)[0])
    assert numbers == ["<b>1/5</b>", "<b>2/5</b>", "<b>3/5</b>", "<b>4/5</b>", "<b>5/5</b>"]
    summary = intake.text("question", step.data, "催收要上门").reply.text
    assert "\n\n\n" not in summary and "：\n" not in summary.replace("<b>问题</b>：\n", "")
    assert summary.splitlines() == ["<b>请确认要发给律所的内容</b>", "", "<b>问题</b>：", "催收要上门"]


def test_the_unanswered_question_is_offered_at_its_step(min_kb):
    intake = Intake(min_kb, 90)
    step = intake.begin("", "离婚了孩子归谁")
    for state, action in [
        ("consent", "i:c:yes"),
        ("lender", "i:l:skip"),
        ("overdue", "i:o:skip"),
        ("events", "i:e:done"),
    ]:
        step = intake.button(state, step.data, action)
    step = intake.button("amount", step.data, "i:a:skip")
    assert "离婚了孩子归谁" in step.reply.text and actions(step.reply) == ["i:q:keep"]
    kept = intake.button("question", step.data, "i:q:keep")
    assert kept.step == "confirm" and kept.data.question == "离婚了孩子归谁"
    # Writing something else replaces it; the button is refused without a question.
    assert intake.text("question", step.data, "别的问题").data.question == "别的问题"
    assert intake.button("question", IntakeData(), "i:q:keep") is None


def test_consent_lists_only_the_contact_lines_the_firm_has(min_kb):
    text = Intake(min_kb, 90).consent().text
    assert "网站：https://example.org" in text and "电话" not in text and "办公时间" not in text
