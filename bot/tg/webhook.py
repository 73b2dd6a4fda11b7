"""The webhook server of a `web` process: Telegram's updates on /telegram, and GET /healthz.

Our own small tornado app (tornado comes with python-telegram-bot[webhooks]) instead of PTB's
built-in webhook server, for two reasons: PTB's server has no room for a health route, and it
answers an update it cannot read with 400, which Telegram retries for as long as the update
exists, holding up every later one. Here:

- POST /telegram: the secret token header must match (403 otherwise); a body that is not JSON or
  not an Update is answered 200 and logged as one warning line without its content (the update
  is lost either way; a 4xx/5xx would only make Telegram repeat it); a good update is handled
  (through the application's update processor, so per-chat order and concurrency are as in
  polling) *before* it is answered 200. PTB's server answers first; then an instance killed
  right after the answer loses the update for good. Answering after handling, Telegram delivers
  again what a killed instance never answered, to whichever instance the address leads to:
  at least once (a reply sent just before the kill may be sent twice), never lost;
- GET /healthz: 200 `ok` when the knowledge base is loaded and the database answers, 503 with
  the reason in a few words otherwise (a platform's health check, a load balancer's probe).

The lifecycle mirrors `Application.run_webhook`: initialize (getMe), post_init (database, jobs),
start (jobs), listen, setWebhook; on SIGTERM/SIGINT stop in the reverse order.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.storage import StorageError
from bot.tg.context import BotData

log = logging.getLogger(__name__)

URL_PATH = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 10 * 1024 * 1024  # Telegram's updates are a few KB; anything near this is not one


def health(bot_data: BotData) -> tuple[bool, str]:
    """(healthy, the word or two that says why not)."""
    if bot_data.brain is None:
        return False, "knowledge base not loaded"
    if bot_data.startup_phase != "updates":
        return False, "starting"
    handoff = bot_data.handoff
    if handoff is None or handoff.storage is None:
        return False, "database not open"
    try:
        # One round trip; on PostgreSQL a database that is down fails within the pool's wait
        # (2 s), then at once while the pool reconnects (bot/storage/postgres.py).
        handoff.storage.schema_version()
    except StorageError as exc:
        return False, f"database unavailable ({type(exc).__name__})"
    return True, "ok"


class _Updates(tornado.web.RequestHandler):
    def initialize(self, app: Application[Any, Any, Any, Any, Any, Any], secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: a request without the right secret token was refused")
            self.set_status(403)
            return
        body = self.request.body
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception as exc:  # bad JSON, or JSON that is not an Update: anything at all
            log.warning("webhook: dropped an unreadable update (%d bytes, %s)", len(body), type(exc).__name__)
            return
        if update is None:
            log.warning("webhook: dropped a body that is not an update (%d bytes)", len(body))
            return
        await self.app.update_processor.process_update(update, self.app.process_update(update))


class _Health(tornado.web.RequestHandler):
    def initialize(self, bot_data: BotData) -> None:
        self.bot_data = bot_data

    def get(self) -> None:
        ok, why = health(self.bot_data)
        self.set_status(200 if ok else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(why + "\n")


def make_app(app: Application[Any, Any, Any, Any, Any, Any], secret: str) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (f"/{URL_PATH}", _Updates, {"app": app, "secret": secret}),
            ("/healthz", _Health, {"bot_data": app.bot_data}),
        ],
        # No access log: a line per update says nothing the bot's own log does not.
        log_function=lambda _handler: None,
    )


async def serve(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Run the bot behind its webhook until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server: tornado.httpserver.HTTPServer | None = None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            server = tornado.httpserver.HTTPServer(
                make_app(app, settings.webhook_secret), max_body_size=MAX_BODY
            )
            server.listen(settings.port, settings.webhook_listen)
            await app.bot.set_webhook(
                f"{settings.webhook_url.rstrip('/')}/{URL_PATH}",
                allowed_updates=Update.ALL_TYPES,
                secret_token=settings.webhook_secret,
            )
            await stop.wait()
        finally:
            if server is not None:
                server.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        if server is not None:
            server.stop()
            await server.close_all_connections()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
