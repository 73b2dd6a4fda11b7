"""A small Bot API server for end-to-end tests, on 127.0.0.1 and a random port.

It speaks enough of the real HTTP protocol for python-telegram-bot v22 (getMe with
`is_bot`, dates in seconds, callbacks with `chat_instance`, setMyCommands, …): the bot
under test is the real `Application`, polling this server with getUpdates and sending its
replies over HTTP. Tests push updates in and read what the bot sent.

Failures can be scripted (`fail_next`) to exercise retries: HTTP 429 with retry_after, 5xx,
or a 400/403 error description. With `limits=TelegramLimits()` the server also answers 429
like Telegram when the bot sends too fast (overall and per chat); `rejected` counts those.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "cuishou_test_bot"
# Parameters PTB sends as plain strings; everything else is JSON-encoded.
_RAW_KEYS = {
    "text",
    "caption",
    "callback_query_id",
    "parse_mode",
    "url",
    "secret_token",
    "language_code",
    "inline_query_id",
    "next_offset",
    "name",
    "description",
    "short_description",
    "cache_time_str",
}


# Telegram's HTML parse mode: these tags only, properly nested; text limits after parsing.
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z][A-Za-z0-9_]{3,31}")


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.error = ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str, str]:
    """(the text a reader sees, an error like Telegram's or "")."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open and not parser.error:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
    return "".join(parser.text), parser.error


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when the server answered it


@dataclass
class Failure:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    times: int = 1
    skip: int = 0  # let this many matching calls through first (fail part 2 of a message)


@dataclass(frozen=True)
class TelegramLimits:
    """Our model of Telegram's flood limits, as leaky buckets (level drains at `rate`/s).

    Telegram documents "about 30 messages per second" overall and "avoid more than one
    message per second in a chat; short bursts are allowed"; the exact algorithm is not
    published. `slack` seconds absorb network jitter between the bot's clock and ours.
    """

    overall_rate: float = 30.0
    overall_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_rate: float = 20 / 60
    group_burst: float = 20.0
    slack: float = 0.05


class _Bucket:
    def __init__(self, rate: float, capacity: float, slack: float) -> None:
        self.rate, self.capacity, self.slack = rate, capacity, slack
        self.level = 0.0
        self.at = time.monotonic()

    def wait_needed(self, now: float) -> float:
        """0 if one more message fits now (and take it), else the seconds until it would."""
        self.level = max(0.0, self.level - (now - self.at) * self.rate)
        self.at = now
        if self.level + 1 <= self.capacity + self.slack * self.rate:
            self.level += 1
            return 0.0
        return (self.level + 1 - self.capacity) / self.rate


@dataclass
class FakeBotApi:
    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    chat_members: dict[tuple[int, int], str] = field(default_factory=dict)
    # Group chats with forum topics enabled, as getChat reports them.
    forum_chats: set[int] = field(default_factory=set)
    port: int = 0
    limits: TelegramLimits | None = None
    # Called with every recorded call (also FAILED: ones), e.g. by the load benchmark.
    on_call: Callable[[Call], None] | None = None
    # chat id -> seconds the server takes before answering a send to that chat (a slow
    # Telegram): a bot killed meanwhile never hears that its message arrived.
    hold: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rejected = 0  # 429s answered because `limits` were exceeded
        self.rejected_by: dict[str, int] = {}  # ... by which limit: "chat", "group" or "overall"
        self.first_seen: dict[str, float] = {}  # method -> time.monotonic() of its first request
        self._buckets: dict[object, _Bucket] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._forum_topics = itertools.count(500)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- pushing updates --------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "测试",
        username: str | None = None,
        language_code: str = "zh-hans",
    ) -> dict[str, Any]:
        u: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username:
            u["username"] = username
        return u

    def _chat(self, chat_id: int, user: dict[str, Any], chat_type: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat_id, "type": chat_type, "title": "测试群", "is_forum": chat_type == "supergroup"}

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        self._new_update.set()
        return update

    def push_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        extra: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        edited: bool = False,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        user = user or self.user(user_id)
        chat_id = chat_id if chat_id is not None else user_id
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, user, chat_type),
            "from": user,
        }
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                command = text.split()[0]
                entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
            for m in _MENTION.finditer(text):  # like Telegram, which marks @usernames itself
                offset = utf16_len(text[: m.start()])
                entities.append({"type": "mention", "offset": offset, "length": utf16_len(m.group(0))})
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if extra:
            message.update(extra)
        if edited:
            message["edit_date"] = int(time.time())
        self.messages[(chat_id, message["message_id"])] = message
        return self.push({"edited_message" if edited else "message": message})

    def push_callback(self, user_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        return self.push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": self.user(user_id),
                    "message": message,
                    "chat_instance": f"ci-{message['chat']['id']}",
                    "data": data,
                }
            }
        )

    def push_inline_query(self, user_id: int, query: str, *, chat_type: str = "sender") -> dict[str, Any]:
        return self.push(
            {
                "inline_query": {
                    "id": str(next(self._message_ids)),
                    "from": self.user(user_id),
                    "query": query,
                    "offset": "",
                    "chat_type": chat_type,
                }
            }
        )

    def push_chosen_inline_result(self, user_id: int, result_id: str, query: str) -> dict[str, Any]:
        return self.push(
            {"chosen_inline_result": {"result_id": result_id, "from": self.user(user_id), "query": query}}
        )

    # -- reading what the bot did ---------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 10.0, after: int = 0
    ) -> Call:
        """Wait for a call (from index `after` on) that satisfies the predicate."""
        deadline = time.monotonic() + timeout
        seen = after
        while True:
            for call in self.calls[seen:]:
                if predicate(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                methods = [(c.method, str(c.params.get("text", ""))[:40]) for c in self.calls[after:]]
                raise AssertionError(f"no matching Bot API call within {timeout}s; calls since: {methods}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), min(remaining, 0.5))

    async def reply_to(
        self, user_id: int, text: str, *, chat_id: int | None = None, timeout: float = 10.0, **kwargs: Any
    ) -> Call:
        """Push a text message and wait for the bot's next sendMessage to that chat."""
        mark = len(self.calls)
        target = chat_id if chat_id is not None else user_id
        self.push_message(user_id, text, chat_id=chat_id, **kwargs)
        return await self.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == target,
            timeout=timeout,
            after=mark,
        )

    def fail_next(
        self,
        method: str,
        status: int,
        description: str = "",
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        self.failures.append(Failure(method, status, description, retry_after, chat_id, times, skip))

    # -- the HTTP side ------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
                # Uploaded files: kept as {"filename", "content"} so tests can read them.
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        params[key] = {"filename": value.filename, "content": value.file.read()}
        decoded: dict[str, Any] = {}
        for key, value in params.items():
            if key in _RAW_KEYS or not isinstance(value, str):
                decoded[key] = value
                continue
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value
        return decoded

    def _failure_for(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and (
                failure.chat_id is None or failure.chat_id == params.get("chat_id")
            ):
                if failure.skip > 0:
                    failure.skip -= 1
                    return None
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def _bucket(self, key: object, rate: float, capacity: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            assert self.limits is not None
            bucket = self._buckets[key] = _Bucket(rate, capacity, self.limits.slack)
        return bucket

    def _flood_wait(self, params: dict[str, Any]) -> float:
        """Seconds the bot should have waited before this request (0 = within the limits)."""
        limits = self.limits
        chat_id = params.get("chat_id")
        if limits is None or chat_id is None:
            return 0.0
        now = time.monotonic()
        private = isinstance(chat_id, int) and chat_id > 0
        chat = (
            self._bucket(("chat", chat_id), limits.chat_rate, limits.chat_burst)
            if private
            else self._bucket(("group", chat_id), limits.group_rate, limits.group_burst)
        )
        overall = self._bucket("overall", limits.overall_rate, limits.overall_burst)
        # Telegram rejects without counting the rejected message; so do we.
        wait = chat.wait_needed(now)
        if wait:
            kind = "chat" if private else "group"
        else:
            wait = overall.wait_needed(now)
            kind = "overall"
            if wait:
                chat.level -= 1
        if wait:
            self.rejected_by[kind] = self.rejected_by.get(kind, 0) + 1
        return wait

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._new_call.set()
        if self.on_call is not None:
            self.on_call(call)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        self.first_seen.setdefault(method, time.monotonic())
        params = await self._params(request)
        delay = self.hold.get(params["chat_id"]) if isinstance(params.get("chat_id"), int) else None
        if delay and method.startswith(("send", "copy")):
            await asyncio.sleep(delay)
        failure = self._failure_for(method, params)
        wait = self._flood_wait(params) if failure is None else 0.0
        if wait:
            self.rejected += 1
            failure = Failure(method, 429, "", retry_after=max(1, math.ceil(wait)))
        if failure is not None:
            self._record(Call(f"FAILED:{method}", params, failure.status))
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description or "Internal Server Error",
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
                body["description"] = (
                    failure.description or f"Too Many Requests: retry after {failure.retry_after}"
                )
            return web.json_response(body, status=failure.status)
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
            return web.json_response({"ok": True, "result": result})
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            result = True
        else:
            result = handler(params)
            if isinstance(result, web.Response):  # refused, as Telegram would
                self._record(Call(f"FAILED:{method}", params, result.status))
                return result
        self._record(Call(method, params, result))
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        # Like Telegram: asking from an offset confirms every earlier update, for good (a
        # restarted bot does not get them again).
        self._confirmed = max(getattr(self, "_confirmed", 0), int(params.get("offset") or 0))
        offset = self._confirmed
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 1.0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending[:100]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(deadline - time.monotonic(), 0.01))

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "催收问答", "username": BOT_USERNAME}

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params["chat_id"]
        chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "用户"
        else:
            chat["title"] = "群"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            **content,
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        replied = self.messages.get((chat_id, (params.get("reply_parameters") or {}).get("message_id")))
        if replied is not None:
            # Like Telegram: the message replied to, one level deep (without its own reply).
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        self.messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _bad_request(description: str) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}, status=400
        )

    def _visible(self, params: dict[str, Any], key: str, limit: int) -> str | web.Response:
        """The parsed text or caption, or Telegram's 400 for bad HTML or a text over the limit."""
        raw = str(params.get(key) or "")
        shown, error = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, "")
        if error:
            return self._bad_request(f"can't parse entities: {error}")
        if utf16_len(shown) > limit:
            return self._bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        if key == "text" and not shown.strip():
            return self._bad_request("message text is empty")
        return shown

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        text = self._visible(params, "text", TEXT_LIMIT)
        if isinstance(text, web.Response):
            return text
        return self._new_message(params, text=text)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        caption = self._visible(params, "caption", CAPTION_LIMIT)
        if isinstance(caption, web.Response):
            return caption
        return self._new_message(
            params,
            caption=caption,
            photo=[{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}],
        )

    def _m_copyMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        caption = self._visible(params, "caption", CAPTION_LIMIT)
        if isinstance(caption, web.Response):
            return caption
        message = self._new_message(params, text="(copy)")
        return {"message_id": message["message_id"]}

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)
        if message is None:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
                status=400,
            )
        text = self._visible(params, "text", TEXT_LIMIT)
        if isinstance(text, web.Response):
            return text
        message = {**message, "text": text, "edit_date": int(time.time())}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages[key] = message
        return message

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)
        if message is None:
            return True
        message = {**message}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        self.messages[key] = message
        return message

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        upload = params.get("document")
        name = upload.get("filename", "file") if isinstance(upload, dict) else "file"
        caption = self._visible(params, "caption", CAPTION_LIMIT)
        if isinstance(caption, web.Response):
            return caption
        return self._new_message(
            params,
            caption=caption,
            document={"file_id": "d1", "file_unique_id": "du1", "file_name": name},
        )

    def _m_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        status = self.chat_members.get((params.get("chat_id"), params.get("user_id")), "left")
        return {"status": status, "user": self.user(int(params.get("user_id", 0)))}

    def _m_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        chat: dict[str, Any] = {
            "id": chat_id,
            "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup",
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat["type"] == "supergroup":
            chat["title"] = "群"
            chat["is_forum"] = chat_id in self.forum_chats
        return chat

    def _m_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_thread_id": next(self._forum_topics),
            "name": params.get("name", ""),
            "icon_color": 7322096,
        }

    def _m_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        return True
