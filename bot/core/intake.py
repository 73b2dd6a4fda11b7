"""The "ask a lawyer" intake as a small state machine, independent of Telegram and storage.

Steps: consent → lender → overdue → events → amount → question → confirm. Each input gives a
`Step`: the next step (None when the intake is over), the updated draft and the reply. The
shell stores the draft between messages (so it survives a restart) and, when `submit` is
set, writes the enquiry.

Button actions (callback data) are `i:<step>:<value>`; a button from an earlier step or a
forged one is refused by `Intake.button` returning None.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.core.dialog import Button, Reply
from bot.core.knowledge import Firm
from bot.core.render import render_firm_contact

LENDERS = {"bank": "银行信用卡/贷款", "online": "网贷/消费金融", "other": "其他"}
OVERDUE = {"lt1": "不到 1 个月", "1to3": "1–3 个月", "3to12": "3–12 个月", "gt12": "超过 12 个月"}
EVENTS = {
    "family": "联系家人/朋友",
    "work": "联系单位/同事",
    "visit": "说要上门",
    "lawsuit": "收到起诉材料/传票",
    "police": "威胁报警/坐牢",
    "abuse": "辱骂/威胁/骚扰",
}
MAX_QUESTION = 3000
MAX_AMOUNT = 40
_BUTTON = re.compile(r"^i:([a-z]):([a-z0-9-]{1,12})$")


@dataclass(frozen=True, kw_only=True)
class IntakeData:
    """What the borrower fills in; the enquiry (bot.core.handoff) adds who they are and its state."""

    lender: str = ""
    overdue: str = ""
    events: tuple[str, ...] = ()
    amount: str = ""
    question: str = ""
    photo_file_id: str = ""
    last_answer: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["events"] = list(self.events)
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> IntakeData:
        known = {k: v for k, v in raw.items() if k in IntakeData.__dataclass_fields__}
        known["events"] = tuple(known.get("events", ()))
        return IntakeData(**known)


@dataclass(frozen=True)
class Step:
    step: str | None  # the next step, or None when the intake has ended
    data: IntakeData
    reply: Reply
    submit: bool = False  # the borrower confirmed: write the enquiry
    edit: bool = False  # show the reply in place of the message whose button was pressed
    notices: tuple[str, ...] = field(default=())


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


class Intake:
    def __init__(self, firm: Firm, retention_days: int) -> None:
        self.firm = firm
        self.retention_days = retention_days

    # -- the prompts of each step ---------------------------------------------------------------

    def consent(self) -> Reply:
        text = (
            "<b>联系律师</b>\n\n"
            f"我可以把您的问题转给{_esc(self.firm.name)}的律师，律师会通过本机器人回复您。\n\n"
            "<b>会发给律所的内容</b>：您接下来填写的信息和问题（以及您选择附上的照片），"
            "和您的 Telegram 名称与用户名，以便律师了解情况并回复您。\n"
            f"<b>保存多久</b>：咨询记录在结案后保存 {self.retention_days} 天后自动删除；"
            "随时发送 /forget 可删除我们保存的与您有关的全部数据，/privacy 查看隐私说明。\n"
            "请不要发送身份证照片、银行卡密码或验证码。填写中随时可发送 /cancel 取消。\n\n"
            "也可以直接联系律所：\n" + render_firm_contact(self.firm, True)
        )
        buttons = ((Button("同意，继续", "i:c:yes"), Button("不用了", "i:c:no")),)
        return Reply(text, "info", buttons)

    def _prompt(self, step: str, data: IntakeData) -> Reply:
        if step == "lender":
            rows = [tuple(Button(label, f"i:l:{key}") for key, label in LENDERS.items())]
            rows.append((Button("跳过", "i:l:skip"),))
            return Reply("1/4 欠款是哪一类？（可跳过）", "info", tuple(rows))
        if step == "overdue":
            items = list(OVERDUE.items())
            rows = [tuple(Button(label, f"i:o:{key}") for key, label in items[i : i + 2]) for i in (0, 2)]
            rows.append((Button("跳过", "i:o:skip"),))
            return Reply("2/4 逾期多久了？（可跳过）", "info", tuple(rows))
        if step == "events":
            marks = [
                Button(("✅ " if label in data.events else "") + label, f"i:e:{key}")
                for key, label in EVENTS.items()
            ]
            rows = [tuple(marks[i : i + 2]) for i in range(0, len(marks), 2)]
            rows.append((Button("选好了 / 都没有", "i:e:done"),))
            return Reply("3/4 发生了哪些情况？可多选，选好后点“选好了”。", "info", tuple(rows))
        if step == "amount":
            return Reply(
                "如果愿意，请输入欠款金额（例如：3万元，或 信用卡2万+网贷1万）；不想填可以跳过。",
                "info",
                ((Button("跳过", "i:a:skip"),),),
            )
        if step == "question":
            return Reply(
                "4/4 请用自己的话写下您的问题和经过（文字，不超过 3000 字）。"
                "如有相关文件（如催收短信截图、法院材料），可以发一张照片并在照片说明里写问题。",
                "info",
            )
        return self.summary(data)

    def summary(self, data: IntakeData) -> Reply:
        lines = ["<b>请确认要发给律所的内容</b>", ""]
        lines += [f"{label}：{_esc(value)}" for label, value in facts(data) if value]
        if data.photo_file_id:
            lines.append("附件：1 张照片")
        lines += ["", "<b>问题</b>：", _esc(data.question)]
        buttons = ((Button("确认发送", "i:s:yes"), Button("取消", "i:s:no")),)
        return Reply("\n".join(lines), "info", buttons)

    # -- inputs ----------------------------------------------------------------------------------

    def begin(self, last_answer: str = "") -> Step:
        return Step("consent", IntakeData(last_answer=last_answer), self.consent())

    def cancelled(self) -> Reply:
        return Reply("已取消，没有发送任何内容，填写的内容也已删除。需要时发送 /lawyer 重新开始。", "info")

    def timed_out(self) -> Reply:
        return Reply(
            "联系律师的填写因长时间没有操作已自动取消，内容没有发送，也已删除。需要时发送 /lawyer 重新开始。",
            "info",
        )

    def button(self, step: str, data: IntakeData, action: str | None) -> Step | None:
        """The reply to a button press, or None if the button does not belong to this step."""
        m = _BUTTON.match(action or "")
        if m is None:
            return None
        code, value = m.groups()
        expected = {
            "consent": "c",
            "lender": "l",
            "overdue": "o",
            "events": "e",
            "amount": "a",
            "confirm": "s",
        }
        if expected.get(step) != code:
            return None
        if code == "c":
            if value == "no":
                text = "好的，没有发送任何内容。需要时可以随时发送 /lawyer。"
                return Step(None, data, Reply(text, "info"), edit=False)
            return self._next("lender", data) if value == "yes" else None
        if code == "l" and (value in LENDERS or value == "skip"):
            return self._next("overdue", replace(data, lender=LENDERS.get(value, "")))
        if code == "o" and (value in OVERDUE or value == "skip"):
            return self._next("events", replace(data, overdue=OVERDUE.get(value, "")))
        if code == "e":
            if value == "done":
                return self._next("amount", data)
            if value in EVENTS:
                label = EVENTS[value]
                events = (
                    tuple(e for e in data.events if e != label)
                    if label in data.events
                    else (
                        *data.events,
                        label,
                    )
                )
                return self._next("events", replace(data, events=events))
            return None
        if code == "a" and value == "skip":
            return self._next("question", replace(data, amount=""))
        if code == "s":
            if value == "yes":
                return Step(None, data, Reply("", "info"), submit=True)
            return Step(None, data, self.cancelled(), edit=True)
        return None

    def _next(self, step: str, data: IntakeData) -> Step:
        # Buttons edit their own message in place (toggling an event shows its tick there).
        return Step(step, data, self._prompt(step, data), edit=True)

    def text(self, step: str, data: IntakeData, text: str) -> Step:
        text = text.strip()
        if step == "amount":
            if len(text) > MAX_AMOUNT:
                return Step(step, data, Reply(f"金额请写短一些（{MAX_AMOUNT} 字以内），或点“跳过”。", "info"))
            return Step("question", replace(data, amount=text), self._prompt("question", data))
        if step == "question":
            if len(text) > MAX_QUESTION:
                return Step(
                    step,
                    data,
                    Reply(f"内容有 {len(text)} 字，请精简到 {MAX_QUESTION} 字以内再发送。", "info"),
                )
            if not text:
                return Step(step, data, self._prompt("question", data))
            new = replace(data, question=text)
            return Step("confirm", new, self.summary(new))
        reminder = "请点选上面消息里的按钮继续（或点“跳过”）；发送 /cancel 可以取消。"
        prompt = self.consent() if step == "consent" else self._prompt(step, data)
        return Step(step, data, prompt, notices=(reminder,))

    def photo(self, step: str, data: IntakeData, file_id: str, caption: str) -> Step:
        if step != "question":
            return self.text(step, data, "")
        new = replace(data, photo_file_id=file_id)
        if caption.strip():
            return self.text(step, new, caption)
        reply = Reply("已收到照片。请再用文字写下您的问题（可以很简短）。", "info")
        return Step(step, new, reply)


def facts(data: IntakeData) -> list[tuple[str, str]]:
    """The structured facts of a draft or an enquiry (a subclass), labelled, in display order."""
    return [
        ("欠款类型", data.lender),
        ("逾期时间", data.overdue),
        ("发生的情况", "、".join(data.events)),
        ("金额", data.amount),
    ]
