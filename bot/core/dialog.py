"""The conversation, independent of Telegram: what the bot says and which buttons it offers.

The Telegram handlers and the console chat both call this module, so the two can never
drift apart. Button actions are short strings (Telegram callback data, at most 64 bytes):

  a:<entry id>         show that answer
  c:<entry id>         the user picked this entry from a "did you mean" list
  m:<page>             the topic menu, page n
  t:<topic id>:<page>  the entries of one topic, page n
  l                    contact a lawyer
  v:+:<entry id>       👍 under that answer (v:- for 👎); v:ok is the inert thank-you button
                       ("f:" is taken by the hand-off's follow-up button)

Anything else is rejected by `parse_action`, so forged callback data cannot reach a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, MatchResult
from bot.core.render import help_pointer, render_entry, render_firm_contact

TOPICS_PER_PAGE = 8
ENTRIES_PER_PAGE = 6
WELCOME_TOPICS = (
    "noon-deadline",
    "door-visit",
    "collector-identity",
    "late-payment",
    "credit-report",
    "cannot-pay",
)
_ACTION = re.compile(
    r"^(?:([ac]):([a-z0-9-]{3,48})|m:(\d{1,3})|t:([a-z0-9-]{3,48}):(\d{1,3})|(l)"
    r"|v:([+-]):([a-z0-9-]{3,48})|v:(ok))$"
)
FEEDBACK_PREFIX = "v:"

ReplyKind = Literal["answer", "clarify", "none", "menu", "info", "invalid"]


@dataclass(frozen=True)
class Button:
    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML, or plain text when the dialog was built for the console
    kind: ReplyKind
    buttons: tuple[tuple[Button, ...], ...] = ()
    entry_id: str | None = None  # the answer shown, if any
    match: MatchResult | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Action:
    kind: Literal["answer", "choice", "menu", "topic", "lawyer", "feedback"]
    entry_id: str = ""
    topic_id: str = ""
    page: int = 0
    vote: int = 0  # feedback: +1 👍, -1 👎, 0 the thank-you button


def parse_action(data: str | None) -> Action | None:
    """Parse callback data; None for anything we did not create ourselves."""
    if not data or len(data.encode("utf-8")) > 64:
        return None
    m = _ACTION.match(data)
    if m is None:
        return None
    if m.group(1):
        return Action("answer" if m.group(1) == "a" else "choice", entry_id=m.group(2))
    if m.group(3) is not None:
        return Action("menu", page=int(m.group(3)))
    if m.group(4):
        return Action("topic", topic_id=m.group(4), page=int(m.group(5)))
    if m.group(6):
        return Action("lawyer")
    if m.group(7):
        return Action("feedback", entry_id=m.group(8), vote=1 if m.group(7) == "+" else -1)
    return Action("feedback")


class Dialog:
    """What the bot replies to each kind of input."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, as_html: bool = True) -> None:
        self.kb = kb
        self.matcher = matcher
        self.as_html = as_html

    def _b(self, text: str) -> str:
        return f"<b>{text}</b>" if self.as_html else text

    # -- fixed messages -----------------------------------------------------------------

    def welcome(self, english: bool = False) -> Reply:
        firm = self.kb.firm.name
        if english:
            text = (
                f"{self._b('催收问答 · Debt-collection help')}\n\n"
                "Ask in your own words (Chinese works best) about collection calls, home visits, "
                "threats, lawsuits, credit records, fees or repayment. I give general legal "
                f"information, not a lawyer's opinion on your case. For that, {firm} can help: /lawyer.\n\n"
                "Common topics:"
            )
        else:
            text = (
                f"{self._b('您好，这里是催收问答。')}\n\n"
                "遇到催收电话、上门、威胁、起诉、征信、利息或还不上的问题，直接用自己的话问我就行，"
                "繁体、错别字、长段描述都可以。\n\n"
                f"我提供的是一般法律信息，不是针对您个案的律师意见；需要律师时，可以联系{firm}（/lawyer）。"
                "\n\n常见问题："
            )
        rows: list[tuple[Button, ...]] = [
            (Button(t.zh, f"t:{t.id}:0"),)
            for tid in WELCOME_TOPICS
            if (t := self.kb.topic(tid)) is not None and self.kb.entries_in(tid)
        ]
        rows.append((Button("全部主题 / All topics", "m:0"), Button("联系律师 / Lawyer", "l")))
        return Reply(text, "info", tuple(rows))

    def help(self) -> Reply:
        text = (
            f"{self._b('怎么用')}\n"
            "• 直接输入您的问题，例如：催收说要上门怎么办？\n"
            "• /topics 按主题浏览全部问题\n"
            "• /lawyer 联系律师，/mycases 查看我的咨询\n"
            "• /privacy 我们保存什么、如何删除\n\n"
            "回答是一般法律信息，具体结果取决于合同和事实，不构成个案法律意见。\n\n"
            + help_pointer(self.kb.firm, self.as_html)
        )
        return Reply(text, "info", ((Button("全部主题", "m:0"), Button("联系律师", "l")),))

    def privacy(self, retention_days: int = 180) -> Reply:
        text = (
            f"{self._b('隐私说明')}\n"
            "• 普通提问：为改进回答，我们只记录未能回答或不确定的问题文本（其中的手机号、身份证号、银行卡号会被打码）、"
            "您在“您是想问”里点选的问题，以及您点的 👍/👎。这些记录不含您的 Telegram 身份，只带一个无法还原的匿名代号（加盐哈希），"
            f"以便您用 /forget 删除；{retention_days} 天后自动删除。已回答的问题只按天计数（日期、回答了哪一条），不保存问题内容。\n"
            "• 联系律师：只有在您明确同意后，才会把您填写的内容（问题、所选情况、金额、照片）和您的 Telegram 名称、"
            "用户名发给律所。咨询和与律所往来的消息在结案后保存 "
            f"{retention_days} 天后自动删除（{retention_days} 天没有往来的咨询自动结案）；未提交的填写在取消或超时后即删除。已发到律所群的消息由律所保管。"
            "发送 /mycases 查看您的咨询。\n"
            "• 日志中的手机号、身份证号、银行卡号一律打码。\n"
            "• 发送 /forget 可删除我们保存的与您有关的全部数据。\n"
            "请不要发送身份证照片、银行卡密码或验证码。"
        )
        return Reply(text, "info")

    def lawyer(self) -> Reply:
        text = render_firm_contact(self.kb.firm, self.as_html)
        return Reply(text, "info", ((Button("全部主题", "m:0"),),))

    def non_text(self) -> Reply:
        text = "我只能读文字消息。请用文字输入您的问题，例如：催收说要上门怎么办？"
        return Reply(text, "info", ((Button("全部主题", "m:0"),),))

    def invalid_action(self) -> Reply:
        return Reply(
            "这个按钮已失效，请重新输入问题或发送 /topics。", "invalid", ((Button("全部主题", "m:0"),),)
        )

    # -- answers ------------------------------------------------------------------------

    def answer(self, entry_id: str) -> Reply:
        entry = self.kb.entry(entry_id)
        if entry is None:
            return self.invalid_action()
        rows: list[tuple[Button, ...]] = []
        for rid in entry.related[:3]:
            related = self.kb.entry(rid)
            if related is not None:
                rows.append((Button(related.title, f"a:{rid}"),))
        rows.append(feedback_row(entry.id))
        rows.append((Button("联系律师 / Contact a lawyer", "l"), Button("全部主题", "m:0")))
        return Reply(render_entry(entry, self.kb, self.as_html), "answer", tuple(rows), entry_id=entry.id)

    def ask(self, text: str) -> Reply:
        """Reply to a free-text question."""
        result = self.matcher.match(text)
        if result.decision == "answer" and result.best is not None:
            reply = self.answer(result.best.entry)
            return Reply(reply.text, "answer", reply.buttons, reply.entry_id, result)
        if result.decision == "clarify":
            rows: list[tuple[Button, ...]] = []
            for cand in self.matcher.clarify_options(result):
                entry = self.kb.entry(cand.entry)
                if entry is not None:
                    rows.append((Button(entry.title, f"c:{entry.id}"),))
            rows.append((Button("都不是，联系律师", "l"), Button("全部主题", "m:0")))
            return Reply("您是想问下面哪个问题？请点选：", "clarify", tuple(rows), match=result)
        text_out = (
            "抱歉，这个问题我没有把握回答。我能回答的是与欠款催收有关的问题，例如催收电话、上门、"
            "威胁坐牢、联系家人、起诉与执行、征信、利息费用、协商还款等。\n\n"
            "您可以换个说法再问，或按主题浏览。\n\n" + help_pointer(self.kb.firm, self.as_html)
        )
        rows = [(Button("全部主题", "m:0"), Button("联系律师", "l"))]
        return Reply(text_out, "none", tuple(rows), match=result)

    # -- browsing -----------------------------------------------------------------------

    def topics_menu(self, page: int = 0) -> Reply:
        topics = [t for t in self.kb.topics if self.kb.entries_in(t.id)]
        pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        chunk = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
        rows = [tuple(Button(t.zh, f"t:{t.id}:0") for t in chunk[i : i + 2]) for i in range(0, len(chunk), 2)]
        rows.append(_pager("m:", page, pages))
        text = f"{self._b('全部主题')}（第 {page + 1}/{pages} 页）：请选择一个主题"
        return Reply(text, "menu", tuple(r for r in rows if r))

    def topic_page(self, topic_id: str, page: int = 0) -> Reply:
        topic = self.kb.topic(topic_id)
        entries = self.kb.entries_in(topic_id)
        if topic is None or not entries:
            return self.invalid_action()
        pages = max(1, -(-len(entries) // ENTRIES_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        chunk = entries[page * ENTRIES_PER_PAGE : (page + 1) * ENTRIES_PER_PAGE]
        rows: list[tuple[Button, ...]] = [(Button(e.title, f"a:{e.id}"),) for e in chunk]
        rows.append(_pager(f"t:{topic_id}:", page, pages))
        rows.append((Button("« 全部主题", "m:0"),))
        suffix = f"（第 {page + 1}/{pages} 页）" if pages > 1 else ""
        text = f"{self._b(topic.zh)}{suffix}：请选择问题"
        return Reply(text, "menu", tuple(r for r in rows if r))

    def start(self, payload: str | None, english: bool = False) -> Reply:
        """/start, optionally with a deep-link payload naming an entry."""
        if payload and self.kb.entry(payload) is not None:
            return self.answer(payload)
        return self.welcome(english)

    def act(self, data: str | None) -> Reply | None:
        """Reply to a button; None when the action is the lawyer hand-off (the shell owns it)."""
        action = parse_action(data)
        if action is None:
            return self.invalid_action()
        if action.kind in ("answer", "choice"):
            return self.answer(action.entry_id)
        if action.kind == "menu":
            return self.topics_menu(action.page)
        if action.kind == "topic":
            return self.topic_page(action.topic_id, action.page)
        if action.kind == "feedback":
            return Reply("谢谢您的反馈！", "info")
        return None


def feedback_row(entry_id: str) -> tuple[Button, ...]:
    return (Button("👍 有帮助", f"v:+:{entry_id}"), Button("👎 没帮助", f"v:-:{entry_id}"))


def after_feedback(rows: tuple[tuple[Button, ...], ...], vote: int) -> tuple[tuple[Button, ...], ...]:
    """The answer's buttons once 👍/👎 was tapped: the feedback row becomes a thank-you (after 👎
    with an offer of a lawyer); every other button stays as it was."""
    thanks = (
        (Button("✅ 谢谢反馈", "v:ok"),)
        if vote > 0
        else (Button("🙏 谢谢反馈", "v:ok"), Button("没解决？问律师", "l"))
    )
    return tuple(thanks if any(b.action.startswith(FEEDBACK_PREFIX) for b in row) else row for row in rows)


def _pager(prefix: str, page: int, pages: int) -> tuple[Button, ...]:
    buttons = []
    if page > 0:
        buttons.append(Button("‹ 上一页", f"{prefix}{page - 1}"))
    if page + 1 < pages:
        buttons.append(Button("下一页 ›", f"{prefix}{page + 1}"))
    return tuple(buttons)
