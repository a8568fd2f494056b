"""A local fake Slack for tests: Web API, private file downloads and Socket Mode.

It is a real server (aiohttp, 127.0.0.1, a free port, its own event loop in a background
thread) so that the real `slack_sdk` WebClient, `slack_sdk`'s built-in Socket Mode client
and `slack_bolt`'s `SocketModeHandler` run unchanged against it: their HTTP requests, their
WebSocket framing, their ping/pong and their reconnect logic are exercised, not mocked.

One port serves everything:

    /api/<method>              the Web API (pass `fake.url` as WebClient base_url)
    /link/?ticket=...          the Socket Mode WebSocket (URL handed out by apps.connections.open)
    /upload/v1/<file_id>       upload URLs handed out by files.getUploadURLExternal
    /files-pri/<team>-<id>/... private file downloads (bearer token required)
    /response/<id>             response_url targets of slash commands and button clicks

    with FakeSlack() as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.url)
        ...
        envelope = fake.send_event(fake.app_mention("what is in this file?"))
        fake.wait_for_ack(envelope)
        fake.wait_for(lambda: fake.bot_messages(thread_ts=...))

Replies follow Slack's shapes: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error":
...}`, HTTP 429 with `Retry-After` when rate limited. Block Kit limits are enforced the way
Slack enforces them (`invalid_blocks` with `errors` and `response_metadata.messages` for
messages, `invalid_arguments` for views, `msg_too_long` for text), so a renderer that breaks
a limit fails its test instead of failing in a real workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

__all__ = ["Call", "FakeSlack", "SlackLimits", "escape_text"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class SlackLimits:
    """The Block Kit and message limits the fake enforces (Slack's published values)."""

    message_blocks: int = 50
    view_blocks: int = 100
    message_text: int = 40_000
    markdown_text: int = 12_000  # markdown_text param and markdown blocks, summed
    section_text: int = 3000
    section_fields: int = 10
    section_field_text: int = 2000
    header_text: int = 150
    context_elements: int = 10
    actions_elements: int = 25
    button_text: int = 75
    action_value: int = 2000
    action_id: int = 255
    block_id: int = 255
    url: int = 3000
    alt_text: int = 2000
    image_title: int = 2000
    confirm_title: int = 100
    confirm_text: int = 300
    confirm_button: int = 30
    placeholder: int = 150
    option_text: int = 75
    option_value: int = 150
    select_options: int = 100
    overflow_options: int = 5
    input_label: int = 2000
    view_title: int = 24
    view_button: int = 24
    private_metadata: int = 3000
    callback_id: int = 255
    view_bytes: int = 250_000


LIMITS = SlackLimits()


@dataclass
class Call:
    """One Web API request as the fake received it."""

    method: str
    params: JSON  # query, form fields and JSON body merged; form values stay strings
    headers: dict[str, str]
    time: float  # time.monotonic() on arrival, to check update pacing
    status: int = 200
    response: JSON = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        """The bearer token, or the `token` param Slack also accepts."""
        auth = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        token = self.params.get("token")
        return None if token is None else str(token)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    def json(self, name: str) -> Any:
        """A parameter that may arrive JSON-encoded (form) or as JSON already (json body)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


class _SlackError(Exception):
    """Answer `{"ok": false, "error": error, **extra}` (HTTP 200, as Slack does)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# -- text ----------------------------------------------------------------------------------

# Slack keeps these control sequences verbatim in message text and escapes everything else.
_MARKUP = re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>]*>")


def escape_text(text: str) -> str:
    """Text as Slack delivers what a user typed: `&`, `<`, `>` escaped, mention markup kept.

    Real message events carry `a &lt; b` for `a < b`, which is exactly what a bot that reads
    fenced code out of a message has to undo, so the fake's events do the same.
    """

    def esc(part: str) -> str:
        return part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out: list[str] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        out.append(esc(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def _random_id(prefix: str, n: int = 10) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


# -- Block Kit validation -------------------------------------------------------------------

_TEXT_TYPES = {"plain_text", "mrkdwn"}
_MESSAGE_BLOCKS = {
    "actions",
    "context",
    "context_actions",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
}
# Blocks Slack documents as message-only; anything else a view may also hold.
_VIEW_BLOCKS = _MESSAGE_BLOCKS - {"file", "markdown", "table", "context_actions"}
_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
}
_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
}
_INTERACTIVE = {"button", "overflow", "workflow_button", *_SELECTS, *_INPUTS}


class _BlockCheck:
    """Collects Block Kit violations as Slack words them: `<why> [json-pointer:<where>]`."""

    def __init__(self, limits: SlackLimits) -> None:
        self.limits = limits
        self.errors: list[str] = []
        self.markdown_chars = 0

    def fail(self, pointer: str, why: str) -> None:
        self.errors.append(f"{why} [json-pointer:{pointer}]")

    def length(self, value: Any, pointer: str, limit: int, *, required: bool = True) -> None:
        if value is None:
            if required:
                self.fail(pointer, "missing required field")
            return
        if not isinstance(value, str):
            self.fail(pointer, "must be a string")
        elif len(value) > limit:
            self.fail(pointer, f"must be less than {limit + 1} characters")
        elif required and not value:
            self.fail(pointer, "must be more than 0 characters")

    def text(
        self, obj: Any, pointer: str, limit: int, *, plain: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.fail(pointer, "missing required field")
            return
        if not isinstance(obj, dict):
            self.fail(pointer, "must be an object")
            return
        allowed = {"plain_text"} if plain else _TEXT_TYPES
        if obj.get("type") not in allowed:
            self.fail(f"{pointer}/type", f"must be one of: {', '.join(sorted(allowed))}")
        self.length(obj.get("text"), f"{pointer}/text", limit)

    def items(self, value: Any, pointer: str, limit: int, *, minimum: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.fail(pointer, "must be an array")
            return []
        if len(value) > limit:
            self.fail(pointer, f"must be less than {limit + 1} items")
        elif len(value) < minimum:
            self.fail(pointer, f"must provide at least {minimum} items")
        return value

    def blocks(self, blocks: Any, pointer: str, *, limit: int, allowed: set[str]) -> None:
        seen: set[str] = set()
        for i, block in enumerate(self.items(blocks, pointer, limit, minimum=0)):
            self.block(block, f"{pointer}/{i}", allowed, seen)

    def block(self, block: Any, ptr: str, allowed: set[str], seen: set[str]) -> None:
        lim = self.limits
        if not isinstance(block, dict):
            self.fail(ptr, "must be an object")
            return
        kind = block.get("type")
        if kind not in allowed:
            self.fail(f"{ptr}/type", f"unsupported block type: {kind!r}")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.length(block_id, f"{ptr}/block_id", lim.block_id)
            if block_id in seen:
                self.fail(f"{ptr}/block_id", f"duplicate block_id: {block_id!r}")
            seen.add(block_id)
        if kind == "section":
            if block.get("text") is None and block.get("fields") is None:
                self.fail(ptr, "must provide either text or fields")
            self.text(block.get("text"), f"{ptr}/text", lim.section_text, required=False)
            if block.get("fields") is not None:
                fields = self.items(block["fields"], f"{ptr}/fields", lim.section_fields)
                for j, f in enumerate(fields):
                    self.text(f, f"{ptr}/fields/{j}", lim.section_field_text)
            if block.get("accessory") is not None:
                self.element(block["accessory"], f"{ptr}/accessory", set(), image_ok=True)
        elif kind == "header":
            self.text(block.get("text"), f"{ptr}/text", lim.header_text, plain=True)
        elif kind == "context":
            elements = self.items(block.get("elements"), f"{ptr}/elements", lim.context_elements)
            for j, el in enumerate(elements):
                p = f"{ptr}/elements/{j}"
                if isinstance(el, dict) and el.get("type") == "image":
                    self.element(el, p, set(), image_ok=True)
                else:
                    self.text(el, p, lim.section_text)
        elif kind in ("actions", "context_actions"):
            elements = self.items(block.get("elements"), f"{ptr}/elements", lim.actions_elements)
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                self.element(el, f"{ptr}/elements/{j}", action_ids)
        elif kind == "image":
            self.image(block, ptr)
            self.text(
                block.get("title"), f"{ptr}/title", lim.image_title, plain=True, required=False
            )
        elif kind == "markdown":
            self.length(block.get("text"), f"{ptr}/text", lim.markdown_text)
            self.markdown_chars += len(block.get("text") or "")
            if self.markdown_chars > lim.markdown_text:
                self.fail(f"{ptr}/text", "markdown blocks exceed 12000 characters in total")
        elif kind == "input":
            self.text(block.get("label"), f"{ptr}/label", lim.input_label, plain=True)
            self.text(block.get("hint"), f"{ptr}/hint", lim.input_label, plain=True, required=False)
            if block.get("element") is None:
                self.fail(f"{ptr}/element", "missing required field")
            else:
                self.element(block["element"], f"{ptr}/element", set())
        elif kind == "rich_text":
            self.items(block.get("elements"), f"{ptr}/elements", 10_000)
        elif kind == "table":
            rows = self.items(block.get("rows"), f"{ptr}/rows", 100)
            for j, row in enumerate(rows):
                self.items(row, f"{ptr}/rows/{j}", 20)
        elif kind == "video":
            for key in ("alt_text", "video_url", "thumbnail_url"):
                self.length(block.get(key), f"{ptr}/{key}", lim.url)
            self.text(block.get("title"), f"{ptr}/title", 200, plain=True)

    def image(self, obj: JSON, ptr: str) -> None:
        if obj.get("image_url") is None and obj.get("slack_file") is None:
            self.fail(ptr, "must provide either image_url or slack_file")
        self.length(obj.get("image_url"), f"{ptr}/image_url", self.limits.url, required=False)
        self.length(obj.get("alt_text"), f"{ptr}/alt_text", self.limits.alt_text)

    def element(self, el: Any, ptr: str, action_ids: set[str], *, image_ok: bool = False) -> None:
        lim = self.limits
        if not isinstance(el, dict):
            self.fail(ptr, "must be an object")
            return
        kind = el.get("type")
        if kind == "image" and image_ok:
            self.image(el, ptr)
            return
        if kind not in _INTERACTIVE:
            self.fail(f"{ptr}/type", f"unsupported element type: {kind!r}")
            return
        action_id = el.get("action_id")
        if action_id is not None:
            self.length(action_id, f"{ptr}/action_id", lim.action_id)
            if action_id in action_ids:
                self.fail(f"{ptr}/action_id", f"duplicate action_id: {action_id!r}")
            action_ids.add(action_id)
        if el.get("confirm") is not None:
            self.confirm(el["confirm"], f"{ptr}/confirm")
        if kind == "button":
            self.text(el.get("text"), f"{ptr}/text", lim.button_text, plain=True)
            self.length(el.get("value"), f"{ptr}/value", lim.action_value, required=False)
            self.length(el.get("url"), f"{ptr}/url", lim.url, required=False)
            if el.get("style") not in (None, "primary", "danger"):
                self.fail(f"{ptr}/style", "must be one of: danger, primary")
        elif kind == "overflow":
            options = self.items(el.get("options"), f"{ptr}/options", lim.overflow_options)
            for j, opt in enumerate(options):
                self.option(opt, f"{ptr}/options/{j}")
        elif kind in _SELECTS:
            self.text(
                el.get("placeholder"),
                f"{ptr}/placeholder",
                lim.placeholder,
                plain=True,
                required=False,
            )
            if el.get("options") is not None:
                options = self.items(el["options"], f"{ptr}/options", lim.select_options)
                for j, opt in enumerate(options):
                    self.option(opt, f"{ptr}/options/{j}", plain=True)
        elif kind in ("checkboxes", "radio_buttons"):
            options = self.items(el.get("options"), f"{ptr}/options", 10)
            for j, opt in enumerate(options):
                self.option(opt, f"{ptr}/options/{j}")
        elif kind == "plain_text_input":
            self.text(
                el.get("placeholder"),
                f"{ptr}/placeholder",
                lim.placeholder,
                plain=True,
                required=False,
            )
            self.length(el.get("initial_value"), f"{ptr}/initial_value", 3000, required=False)

    def option(self, opt: Any, ptr: str, *, plain: bool = False) -> None:
        if not isinstance(opt, dict):
            self.fail(ptr, "must be an object")
            return
        self.text(opt.get("text"), f"{ptr}/text", self.limits.option_text, plain=plain)
        self.length(opt.get("value"), f"{ptr}/value", self.limits.option_value)

    def confirm(self, obj: Any, ptr: str) -> None:
        lim = self.limits
        if not isinstance(obj, dict):
            self.fail(ptr, "must be an object")
            return
        self.text(obj.get("title"), f"{ptr}/title", lim.confirm_title, plain=True)
        self.text(obj.get("text"), f"{ptr}/text", lim.confirm_text)
        self.text(obj.get("confirm"), f"{ptr}/confirm", lim.confirm_button, plain=True)
        self.text(obj.get("deny"), f"{ptr}/deny", lim.confirm_button, plain=True)
        if obj.get("style") not in (None, "primary", "danger"):
            self.fail(f"{ptr}/style", "must be one of: danger, primary")


def _parse_json_param(value: Any, error: str) -> Any:
    """Slack accepts structured params JSON-encoded (form) or as JSON (json body)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _SlackError(error) from exc
    return value


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _iter_buttons(blocks: list[JSON]) -> Iterator[tuple[JSON, JSON]]:
    """(block, element) for every interactive element a user could click in these blocks."""
    for block in blocks:
        if block.get("type") in ("actions", "context_actions"):
            for el in block.get("elements") or []:
                yield block, el
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]


# -- the server ----------------------------------------------------------------------------


class FakeSlack:
    """Slack's Web API, file hosting and Socket Mode for one workspace, one app, one bot."""

    bot_token = "xoxb-test"
    app_token = "xapp-test"
    bot_user_id = "UBOT"
    bot_id = "B1"
    app_id = "A1"
    team_id = "T1"
    team_domain = "threadlab-test"

    def __init__(self, *, limits: SlackLimits = LIMITS) -> None:
        self.limits = limits
        # Recorded traffic; mutated on the server thread, read by tests.
        self.calls: list[Call] = []
        self.messages: list[JSON] = []  # channel history, user and bot messages, in ts order
        self.edits: dict[str, list[JSON]] = {}  # ts -> every version of a message, oldest first
        self.ephemerals: list[JSON] = []
        self.uploads: list[JSON] = []
        self.downloads: list[JSON] = []
        self.views_opened: list[JSON] = []
        self.views_published: list[JSON] = []
        self.reactions: list[JSON] = []
        self.responses: list[JSON] = []  # bodies posted to response_url
        self.files: dict[str, JSON] = {}
        self.file_contents: dict[str, bytes] = {}
        self.users: dict[str, JSON] = {}
        # Socket Mode.
        self.envelopes: dict[str, JSON] = {}  # envelope_id -> the envelope sent
        self.acks: dict[str, float] = {}  # envelope_id -> seconds from send to ack
        self.ack_payloads: dict[str, JSON | None] = {}
        self.connected = threading.Event()
        self.connections = 0
        self.pings = 0
        # Switches a test may flip.
        self.streaming_enabled = True
        self.echo_bot_messages = False  # deliver the bot's own posts back as message events
        self.trigger_ttl_s = 3.0  # Slack's trigger_id lifetime

        self._lock = threading.RLock()
        self._ack_cond = threading.Condition(self._lock)
        self._faults: dict[str, list[tuple[str, Any]]] = {}
        self._last_us = 0
        self._ids = itertools.count(1)
        self._tickets: set[str] = set()
        self._triggers: dict[str, float] = {}  # trigger_id -> issue time (monotonic)
        self._used_triggers: set[str] = set()
        self._pending_uploads: dict[str, JSON] = {}  # file_id -> getUploadURLExternal params
        self._response_urls: dict[str, JSON] = {}  # id -> what the response_url refers to
        self._streams: set[str] = set()  # ts of messages still streaming
        self._sent_at: dict[str, float] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._send_locks: dict[int, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """The Web API base URL; the trailing slash matters (slack_sdk urljoins methods)."""
        return f"{self.base}/api/"

    def start(self) -> FakeSlack:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_site())
            except BaseException as exc:  # surfaced to start()'s caller below
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-slack", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        if self._port is None:
            raise RuntimeError("FakeSlack did not start")
        return self

    async def _start_site(self) -> None:
        # Slack takes uploads up to 1 GB; aiohttp's default 1 MiB cap would reject real charts.
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{key}/{rest:.*}", self._download)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_get("/", self._login_page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            for ws in list(self._sockets):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(code=1001, message=b"server stopping"), 1)
            if self._runner is not None:
                await self._runner.cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        self._loop = self._thread = self._runner = None
        self._port = None
        self.connected.clear()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with `Retry-After`."""
        with self._lock:
            self._faults.setdefault(method, []).extend([("429", retry_after)] * times)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        with self._lock:
            self._faults.setdefault(method, []).extend([("error", error)] * times)

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` answer only after `seconds`."""
        with self._lock:
            self._faults.setdefault(method, []).extend([("delay", seconds)] * times)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(0.01)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> float:
        with self._ack_cond:
            if not self._ack_cond.wait_for(lambda: envelope_id in self.acks, timeout):
                raise TimeoutError(f"envelope {envelope_id} not acknowledged within {timeout}s")
            return self.acks[envelope_id]

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        real_name: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        deleted: bool = False,
        tz: str = "Europe/Berlin",
    ) -> JSON:
        name = name or user_id.lower()
        real_name = real_name or name.title()
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "team": self.team_id,
            },
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        filetype: str = "csv",
        mimetype: str = "text/csv",
        user: str = "U1",
        title: str | None = None,
        size: int | None = None,  # claim another size than len(content), for limit checks
    ) -> JSON:
        """Registers a file a user uploaded; returns the file object Slack puts in events."""
        file_id = _random_id("F")
        return self._register_file(
            file_id,
            name,
            content,
            filetype=filetype,
            mimetype=mimetype,
            user=user,
            title=title,
            size=size,
        )

    # -- messages as tests read them -------------------------------------------------------

    def message(self, channel: str, ts: str) -> JSON | None:
        with self._lock:
            return next(
                (m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None
            )

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        """The thread's root (if known) and its replies, oldest first."""
        with self._lock:
            return [
                m
                for m in self.messages
                if m["channel"] == channel
                and (m["ts"] == thread_ts or m.get("thread_ts") == thread_ts)
            ]

    def bot_messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[JSON]:
        with self._lock:
            return [
                m
                for m in self.messages
                if m.get("user") == self.bot_user_id
                and (channel is None or m["channel"] == channel)
                and (thread_ts is None or m.get("thread_ts") == thread_ts)
            ]

    # -- events as Slack sends them --------------------------------------------------------

    def app_mention(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        thread_ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """An `app_mention` event; `<@UBOT> ` is prepended when the text lacks it."""
        mention = f"<@{self.bot_user_id}>"
        if mention not in text:
            text = f"{mention} {text}"
        event = self._user_event("app_mention", text, user, channel, thread_ts, files)
        event.pop("channel_type")  # app_mention events carry none
        return event

    def user_message(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "D1",
        thread_ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """A `message` event (a DM by default); with files it is a `file_share` message."""
        return self._user_event("message", text, user, channel, thread_ts, files)

    def _user_event(
        self,
        kind: str,
        text: str,
        user: str,
        channel: str,
        thread_ts: str | None,
        files: list[JSON] | None,
    ) -> JSON:
        ts = self._next_ts()
        event: JSON = {
            "type": kind,
            "client_msg_id": str(uuid.uuid4()),
            "text": escape_text(text),
            "user": user,
            "ts": ts,
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
            "channel_type": _channel_type(channel),
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
            root = self.message(channel, thread_ts)
            if root is not None:
                event["parent_user_id"] = root.get("user")
        if files:
            event["files"] = files
            event["upload"] = False
            event["display_as_bot"] = False
            if kind == "message":
                event["subtype"] = "file_share"
        return event

    # -- Socket Mode -----------------------------------------------------------------------

    def send_event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "timeout",
        timeout: float = 5,
    ) -> str:
        """Delivers `event` in an `events_api` envelope; returns the envelope_id.

        A retry (`retry_num` > 0) reuses `event_id` the way Slack's redelivery does; the
        message is recorded into channel history the first time only.
        """
        event_id = event_id or _random_id("Ev")
        payload = {
            "token": "verification-token",
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event.get("event_ts") or time.time())),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        if not retry_num:
            self._run(self._record_event_message(event))
        return self._send_envelope(
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=retry_num or 0,
            retry_reason=retry_reason if retry_num else "",
            timeout=timeout,
        )

    def send_interactive(self, payload: JSON, *, timeout: float = 5) -> str:
        """Delivers an interactive payload (block_actions, view_submission, ...)."""
        payload = dict(payload)
        payload.setdefault("api_app_id", self.app_id)
        payload.setdefault("token", "verification-token")
        payload.setdefault("team", {"id": self.team_id, "domain": self.team_domain})
        payload.setdefault("is_enterprise_install", False)
        payload.setdefault("enterprise", None)
        if payload.get("type") in ("block_actions", "view_submission", "shortcut"):
            payload.setdefault("trigger_id", self._new_trigger())
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self._send_envelope(
            "interactive", payload, accepts_response_payload=accepts, timeout=timeout
        )

    def send_slash_command(
        self, command: str, text: str, *, user: str = "U1", channel: str = "C1", timeout: float = 5
    ) -> str:
        rid = self._new_response_url({"kind": "command", "channel": channel, "user": user})
        payload = {
            "token": "verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": self._user(user)["name"],
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": rid,
            "trigger_id": self._new_trigger(),
        }
        return self._send_envelope(
            "slash_commands", payload, accepts_response_payload=True, timeout=timeout
        )

    def click_button(
        self, channel: str, ts: str, action_id: str, *, user: str = "U1", timeout: float = 5
    ) -> str:
        """A user clicks the button `action_id` on a message the bot posted.

        The `block_actions` payload is built from the message as the fake stores it, so the
        click fails loudly when the button is not there (wrong id, already replaced).
        """
        message = self.message(channel, ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        found = next(
            (
                (block, el)
                for block, el in _iter_buttons(message.get("blocks") or [])
                if el.get("action_id") == action_id
            ),
            None,
        )
        if found is None:
            raise LookupError(f"message {ts} has no element with action_id {action_id!r}")
        block, el = found
        action = {
            "action_id": action_id,
            "block_id": block.get("block_id"),
            "type": el.get("type"),
            "action_ts": f"{time.time():.6f}",
        }
        for key in ("text", "value", "style", "confirm"):
            if key in el:
                action[key] = el[key]
        container: JSON = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if message.get("thread_ts"):
            container["thread_ts"] = message["thread_ts"]
        info = self._user(user)
        rid = self._new_response_url(
            {"kind": "message", "channel": channel, "ts": ts, "user": user}
        )
        public = {k: v for k, v in message.items() if k != "channel"}
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": info["name"],
                "name": info["name"],
                "team_id": self.team_id,
            },
            "container": container,
            "channel": {"id": channel, "name": "general"},
            "message": public,
            "state": {"values": {}},
            "response_url": rid,
            "actions": [action],
        }
        return self.send_interactive(payload, timeout=timeout)

    def drop_socket(self, reason: str | None = None) -> None:
        """Closes the newest Socket Mode connection from the server side.

        With `reason` (e.g. "refresh_requested", "warning"), first sends the `disconnect`
        message Slack sends before it recycles a connection; without, the socket just goes
        away as on a network failure. Either way the client has to call
        apps.connections.open again to get a new URL.
        """

        async def drop() -> None:
            if not self._sockets:
                return
            ws = self._sockets[-1]
            if reason is not None:
                message = {
                    "type": "disconnect",
                    "reason": reason,
                    "debug_info": {"host": "fake-slack"},
                }
                await self._ws_send(ws, json.dumps(message))
            await ws.close(code=1001, message=b"dropped by test")

        self._run(drop())

    def close_client(self, socket_client: Any, timeout: float = 5) -> None:
        """Closes slack_sdk's built-in SocketModeClient, or a bolt SocketModeHandler, quickly.

        The client's own close() waits out a blocking socket read (3 s) and a blocking queue
        read (1 s) on its threads. Closing the socket from the server side and queueing a
        no-op wake both, so a test's teardown takes milliseconds; reconnecting is switched off
        first, so the client does not dial straight back in.
        """
        client = getattr(socket_client, "client", socket_client)  # a handler wraps a client
        client.auto_reconnect_enabled = False
        client.default_auto_reconnect_enabled = False

        async def close_all() -> None:
            for ws in list(self._sockets):
                await ws.close(code=1000, message=b"test over")

        self._run(close_all(), timeout)
        deadline = time.monotonic() + timeout
        while client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.005)
        # Its message loop blocks up to 1 s on an empty queue; a None wakes it, and is skipped.
        client.closed = True
        client.message_queue.put(None)
        client.close()

    def _send_envelope(
        self,
        kind: str,
        payload: JSON,
        *,
        accepts_response_payload: bool,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5,
    ) -> str:
        deadline = time.monotonic() + timeout
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        with self._lock:
            self.envelopes[envelope_id] = envelope
        text = json.dumps(envelope)
        # Like Slack, hold the envelope while the app is between connections (a reconnect).
        while True:
            remaining = deadline - time.monotonic()
            if not self.connected.wait(max(remaining, 0)):
                raise TimeoutError("no Socket Mode connection to deliver the envelope on")
            try:
                self._run(self._deliver(envelope_id, text), max(remaining, 0.1))
                return envelope_id
            except ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    async def _deliver(self, envelope_id: str, text: str) -> None:
        if not self._sockets:
            raise ConnectionError("the Socket Mode connection went away")
        # The clock starts when the frame is handed to the socket, as Slack's 3 s does.
        self._sent_at[envelope_id] = time.perf_counter()
        await self._ws_send(self._sockets[-1], text)

    async def _ws_send(self, ws: web.WebSocketResponse, text: str) -> None:
        lock = self._send_locks.setdefault(id(ws), asyncio.Lock())
        async with lock:
            await ws.send_str(text)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # one connection per apps.connections.open
        if not valid:
            return web.Response(status=401, text="invalid ticket")
        # Pings are answered by hand so the count is observable; Slack's server does the same.
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        self._sockets.append(ws)
        with self._lock:
            self.connections += 1
        self.connected.set()
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {
                "host": "fake-slack",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        try:
            await self._ws_send(ws, json.dumps(hello))
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_client_text(msg.data)
                elif msg.type == WSMsgType.PING:
                    self.pings += 1
                    await ws.pong(msg.data)
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            self._send_locks.pop(id(ws), None)
            if not self._sockets:
                self.connected.clear()
        return ws

    async def _on_client_text(self, text: str) -> None:
        received = time.perf_counter()
        try:
            data = json.loads(text)
        except ValueError:
            return
        envelope_id = data.get("envelope_id") if isinstance(data, dict) else None
        if not envelope_id:
            return
        with self._ack_cond:
            if envelope_id not in self.acks:
                sent = self._sent_at.get(envelope_id, received)
                self.acks[envelope_id] = received - sent
                self.ack_payloads[envelope_id] = data.get("payload")
            self._ack_cond.notify_all()
        envelope = self.envelopes.get(envelope_id)
        payload = data.get("payload")
        # Slack shows a slash command's ack payload to the user who ran it.
        if envelope and envelope["type"] == "slash_commands" and isinstance(payload, dict):
            cmd = envelope["payload"]
            target = {"kind": "command", "channel": cmd["channel_id"], "user": cmd["user_id"]}
            # A payload Slack would refuse is visible in ack_payloads; it must not end the socket.
            with contextlib.suppress(_SlackError):
                self._respond_with(payload, target)

    # -- plumbing between threads ----------------------------------------------------------

    def _run(self, coro: Any, timeout: float = 5) -> Any:
        if self._loop is None:
            coro.close()
            raise RuntimeError("FakeSlack is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _next_ts(self) -> str:
        """Unique, increasing message timestamps in Slack's `seconds.micros` form."""
        with self._lock:
            self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
            return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def _new_trigger(self) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger] = time.monotonic()
        return trigger

    def _new_response_url(self, target: JSON) -> str:
        rid = secrets.token_hex(12)
        with self._lock:
            self._response_urls[rid] = target
        return f"{self.base}/response/{rid}"

    def _user(self, user_id: str) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            user = self.add_user(user_id, is_bot=user_id == self.bot_user_id)
        return user

    def _register_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        filetype: str,
        mimetype: str,
        user: str,
        title: str | None = None,
        size: int | None = None,
    ) -> JSON:
        key = f"{self.team_id}-{file_id}"
        quoted = quote(name)
        now = int(time.time())
        obj = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title if title is not None else name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{self.base}/files-pri/{key}/{quoted}",
            "url_private_download": f"{self.base}/files-pri/{key}/download/{quoted}",
            "permalink": f"{self.base}/files/{user}/{file_id}/{quoted}",
            "permalink_public": f"{self.base}/{key}-{secrets.token_hex(5)}",
            "has_rich_preview": False,
            "file_access": "visible",
            "shares": {},
            "channels": [],
            "groups": [],
            "ims": [],
        }
        with self._lock:
            self.files[file_id] = obj
            self.file_contents[file_id] = content
        return obj

    async def _record_event_message(self, event: JSON) -> None:
        """A user's message becomes channel history, so conversations.replies can see it."""
        if event.get("type") not in ("message", "app_mention"):
            return
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return
        channel, ts = event.get("channel"), event.get("ts")
        if not channel or not ts or self.message(channel, ts) is not None:
            return
        keep = ("type", "user", "text", "ts", "thread_ts", "files", "upload", "client_msg_id")
        message = {k: event[k] for k in keep if k in event}
        message["type"] = "message"
        message["team"] = self.team_id
        self._store(channel, message)

    def _store(self, channel: str, message: JSON) -> JSON:
        message = {"channel": channel, **message}
        with self._lock:
            self.messages.append(message)
            self.messages.sort(key=lambda m: float(m["ts"]))
            self.edits[message["ts"]] = [_snapshot(message)]
            root_ts = message.get("thread_ts")
            if root_ts and root_ts != message["ts"]:
                root = self.message(channel, root_ts)
                if root is not None:
                    root["thread_ts"] = root_ts
                    root["reply_count"] = root.get("reply_count", 0) + 1
                    users = root.setdefault("reply_users", [])
                    if message.get("user") not in users:
                        users.append(message.get("user"))
                    root["latest_reply"] = message["ts"]
        return message

    def _echo(self, message: JSON) -> None:
        """Slack sends a bot's own posts back to it when it subscribes to message events."""
        if not self.echo_bot_messages or not self._sockets:
            return
        event = {k: v for k, v in message.items() if k != "channel"}
        event.update(
            {
                "channel": message["channel"],
                "event_ts": message["ts"],
                "channel_type": _channel_type(message["channel"]),
            }
        )
        if message.get("files"):
            event["subtype"] = "file_share"
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": {
                "token": "verification-token",
                "team_id": self.team_id,
                "api_app_id": self.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": _random_id("Ev"),
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}
                ],
            },
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._lock:
            self.envelopes[envelope_id] = envelope
        task = asyncio.ensure_future(self._deliver(envelope_id, json.dumps(envelope)))
        task.add_done_callback(lambda t: t.exception())  # a closed socket is not a failure

    # -- HTTP: Web API ---------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: JSON = dict(request.query)
        ctype = request.content_type
        if request.method == "POST" and request.can_read_body:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return web.json_response({"ok": False, "error": "invalid_json"})
                params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    params[key] = value.file.read() if isinstance(value, web.FileField) else value
        call = Call(method, params, dict(request.headers), time.monotonic())
        with self._lock:
            self.calls.append(call)
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
        headers: dict[str, str] = {}
        status = 200
        if fault is not None and fault[0] == "delay":
            await asyncio.sleep(float(fault[1]))
            fault = None
        if fault is not None and fault[0] == "429":
            status = 429
            headers["Retry-After"] = str(fault[1])
            body = {"ok": False, "error": "ratelimited"}
        elif fault is not None:
            body = {"ok": False, "error": fault[1]}
        else:
            try:
                body = {"ok": True, **self._dispatch(method, call)}
            except _SlackError as exc:
                body = {"ok": False, "error": exc.error, **exc.extra}
        call.status, call.response = status, body
        return web.json_response(body, status=status, headers=headers)

    def _dispatch(self, method: str, call: Call) -> JSON:
        handler = _METHODS.get(method)
        if handler is None:
            raise _SlackError("unknown_method", req_method=method)
        token = call.token
        if not token:
            raise _SlackError("not_authed")
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            known = token in (self.app_token, self.bot_token)
            raise _SlackError("not_allowed_token_type" if known else "invalid_auth")
        return handler(self, call.params)

    # Each method takes the merged params and returns the fields after "ok": true.

    def _auth_test(self, p: JSON) -> JSON:
        return {
            "url": f"{self.base}/",
            "team": "ThreadLab Test",
            "user": "threadlab",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _connections_open(self, p: JSON) -> JSON:
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={self.app_id}"}

    def _message_content(self, p: JSON, *, require: bool = True) -> JSON:
        """Validates text/blocks/attachments the way chat.postMessage and chat.update do."""
        content: JSON = {}
        text = p.get("text")
        markdown_text = p.get("markdown_text")
        blocks = _parse_json_param(p.get("blocks"), "invalid_blocks_format")
        attachments = _parse_json_param(p.get("attachments"), "invalid_attachments")
        if markdown_text is not None and (text is not None or blocks is not None):
            raise _SlackError("markdown_text_conflict")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _SlackError("invalid_blocks_format")
            check = _BlockCheck(self.limits)
            check.blocks(
                blocks, "/blocks", limit=self.limits.message_blocks, allowed=_MESSAGE_BLOCKS
            )
            if check.errors:
                raise _SlackError(
                    "invalid_blocks",
                    errors=check.errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in check.errors]},
                )
            content["blocks"] = [self._with_block_id(b) for b in blocks]
        if text is not None:
            text = str(text)
            if len(text) > self.limits.message_text:
                raise _SlackError("msg_too_long")
            content["text"] = text
        if markdown_text is not None:
            if len(str(markdown_text)) > self.limits.markdown_text:
                raise _SlackError("msg_too_long")
            content["text"] = str(markdown_text)
        if attachments is not None:
            content["attachments"] = attachments
        if require and not (content.get("text") or content.get("blocks") or attachments):
            raise _SlackError("no_text")
        return content

    @staticmethod
    def _with_block_id(block: JSON) -> JSON:
        # Slack stores every block with a block_id, inventing one when the app gave none.
        if "block_id" in block:
            return block
        return {**block, "block_id": secrets.token_urlsafe(4)}

    def _channel(self, p: JSON, key: str = "channel") -> str:
        channel = str(p.get(key) or "")
        if not channel:
            raise _SlackError("channel_not_found")
        # Posting to a user ID posts into the DM between the bot and that user.
        if channel[0] in "UW":
            channel = "D" + channel
        return channel

    def _thread_root(self, channel: str, thread_ts: Any) -> str | None:
        if not thread_ts:
            return None
        ts = str(thread_ts)
        # A reply's ts threads under the same root, as in Slack.
        target = self.message(channel, ts)
        if target is not None and target.get("thread_ts"):
            return str(target["thread_ts"])
        return ts

    def _bot_message(self, channel: str, content: JSON, thread_ts: str | None) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": content.get("text", ""),
            "ts": self._next_ts(),
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": "threadlab",
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "files", "upload"):
            if key in content:
                message[key] = content[key]
        if thread_ts:
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = (self.message(channel, thread_ts) or {}).get("user")
        return message

    def _post_message(self, p: JSON) -> JSON:
        channel = self._channel(p)
        content = self._message_content(p)
        thread_ts = self._thread_root(channel, p.get("thread_ts"))
        message = self._store(channel, self._bot_message(channel, content, thread_ts))
        self._echo(message)
        public = {k: v for k, v in message.items() if k != "channel"}
        return {"channel": channel, "ts": message["ts"], "message": public}

    def _update(self, p: JSON) -> JSON:
        channel = self._channel(p)
        ts = str(p.get("ts") or "")
        message = self.message(channel, ts)
        if message is None:
            raise _SlackError("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise _SlackError("cant_update_message")
        content = self._message_content(p, require=False)
        if not content:
            raise _SlackError("no_text")
        with self._lock:
            message.update(content)
            if content.get("blocks") == []:
                message.pop("blocks")
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            self.edits.setdefault(ts, []).append(_snapshot(message))
        public = {k: v for k, v in message.items() if k != "channel"}
        return {"channel": channel, "ts": ts, "text": message.get("text", ""), "message": public}

    def _post_ephemeral(self, p: JSON) -> JSON:
        channel = self._channel(p)
        user = str(p.get("user") or "")
        if not user:
            raise _SlackError("user_not_found")
        content = self._message_content(p)
        ts = self._next_ts()
        with self._lock:
            self.ephemerals.append(
                {
                    "channel": channel,
                    "user": user,
                    "ts": ts,
                    "thread_ts": self._thread_root(channel, p.get("thread_ts")),
                    **content,
                }
            )
        return {"message_ts": ts}

    def _permalink(self, p: JSON) -> JSON:
        channel = self._channel(p)
        ts = str(p.get("message_ts") or "")
        message = self.message(channel, ts)
        if message is None:
            raise _SlackError("message_not_found")
        link = f"{self.base}/archives/{channel}/p{ts.replace('.', '')}"
        root = message.get("thread_ts")
        if root and root != ts:
            link += f"?thread_ts={root}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _replies(self, p: JSON) -> JSON:
        channel = self._channel(p)
        ts = str(p.get("ts") or "")
        target = self.message(channel, ts)
        if target is None:
            raise _SlackError("thread_not_found")
        root = str(target.get("thread_ts") or ts)
        with self._lock:
            found = [
                {k: v for k, v in m.items() if k != "channel"} for m in self.thread(channel, root)
            ]
        limit = int(p.get("limit") or 1000)
        start = int(p.get("cursor") or 0)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _files_info(self, p: JSON) -> JSON:
        obj = self.files.get(str(p.get("file") or ""))
        if obj is None:
            raise _SlackError("file_not_found")
        return {"file": obj, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _get_upload_url(self, p: JSON) -> JSON:
        filename = p.get("filename")
        length = p.get("length")
        if not filename or length is None:
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field"]},
            )
        try:
            declared = int(length)
        except (TypeError, ValueError) as exc:
            raise _SlackError("invalid_arguments") from exc
        file_id = _random_id("F")
        with self._lock:
            self._pending_uploads[file_id] = {
                "filename": str(filename),
                "length": declared,
                "snippet_type": p.get("snippet_type"),
                "alt_txt": p.get("alt_txt"),
                "content": None,
            }
        return {"upload_url": f"{self.base}/upload/v1/{file_id}", "file_id": file_id}

    def _complete_upload(self, p: JSON) -> JSON:
        files = _parse_json_param(p.get("files"), "invalid_arguments")
        if not isinstance(files, list) or not files:
            raise _SlackError("invalid_arguments")
        channel_id = p.get("channel_id") or None
        channels = [c for c in str(p.get("channels") or "").split(",") if c]
        targets = [str(channel_id)] if channel_id else channels
        thread_ts = p.get("thread_ts") or None
        comment = p.get("initial_comment")
        if thread_ts and not targets:
            raise _SlackError("invalid_arguments")
        done: list[JSON] = []
        objects: list[JSON] = []
        with self._lock:
            for item in files:
                pending = self._pending_uploads.get(str(item.get("id")))
                if pending is None or pending["content"] is None:
                    raise _SlackError("file_not_found")
            for item in files:
                file_id = str(item["id"])
                pending = self._pending_uploads.pop(file_id)
                name = pending["filename"]
                snippet = pending["snippet_type"]
                guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
                extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
                obj = self._register_file(
                    file_id,
                    name,
                    pending["content"],
                    filetype=str(snippet or extension),
                    mimetype=guessed,
                    user=self.bot_user_id,
                    title=item.get("title") or name,
                )
                for channel in targets:
                    share = {"ts": "", "thread_ts": thread_ts, "channel_name": channel}
                    bucket = "ims" if channel.startswith("D") else "channels"
                    obj[bucket].append(channel)
                    obj["shares"].setdefault("public", {}).setdefault(channel, []).append(share)
                objects.append(obj)
                done.append({"id": file_id, "title": obj["title"]})
                destinations: list[str | None] = [*targets] if targets else [None]
                for target in destinations:
                    self.uploads.append(
                        {
                            "file_id": file_id,
                            "name": name,
                            "title": obj["title"],
                            "content": pending["content"],
                            "length": pending["length"],
                            "channel": target,
                            "thread_ts": thread_ts,
                            "initial_comment": comment,
                            "snippet_type": snippet,
                            "alt_txt": pending["alt_txt"],
                        }
                    )
        # Slack then shows the files as one message from the bot, in the thread if any.
        for channel in targets:
            root = self._thread_root(channel, thread_ts)
            content = {"text": str(comment or ""), "files": objects, "upload": True}
            message = self._store(channel, self._bot_message(channel, content, root))
            for obj in objects:
                for share in obj["shares"]["public"][channel]:
                    share["ts"] = share["ts"] or message["ts"]
            self._echo(message)
        return {"files": done}

    def _view(self, p: JSON, kind: str) -> JSON:
        view = _parse_json_param(p.get("view"), "invalid_arguments")
        lim = self.limits
        if not isinstance(view, dict):
            raise _SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing view"]}
            )
        if len(json.dumps(view).encode()) > lim.view_bytes:
            raise _SlackError("view_too_large")
        check = _BlockCheck(lim)
        if view.get("type") != kind:
            check.fail("/view/type", f"must be {kind}")
        if kind == "modal":
            check.text(view.get("title"), "/view/title", lim.view_title, plain=True)
            check.text(
                view.get("close"), "/view/close", lim.view_button, plain=True, required=False
            )
            check.text(
                view.get("submit"), "/view/submit", lim.view_button, plain=True, required=False
            )
            has_input = any(
                isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
            )
            if has_input and view.get("submit") is None:
                check.fail("/view/submit", "submit is required when a view has input blocks")
        check.length(
            view.get("private_metadata"),
            "/view/private_metadata",
            lim.private_metadata,
            required=False,
        )
        check.length(view.get("callback_id"), "/view/callback_id", lim.callback_id, required=False)
        check.blocks(
            view.get("blocks"), "/view/blocks", limit=lim.view_blocks, allowed=_VIEW_BLOCKS
        )
        if check.errors:
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in check.errors]},
            )
        view_id = _random_id("V")
        return {
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{time.time():.6f}",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
            **view,
            "blocks": [self._with_block_id(b) for b in view.get("blocks") or []],
        }

    def _views_open(self, p: JSON) -> JSON:
        trigger = str(p.get("trigger_id") or "")
        with self._lock:
            issued = self._triggers.get(trigger)
            if issued is None:
                raise _SlackError(
                    "invalid_arguments", response_metadata={"messages": ["invalid `trigger_id`"]}
                )
            if trigger in self._used_triggers:
                raise _SlackError("exchanged_trigger_id")
            if time.monotonic() - issued > self.trigger_ttl_s:
                raise _SlackError("expired_trigger_id")
        view = self._view(p, "modal")
        with self._lock:
            self._used_triggers.add(trigger)
            self.views_opened.append({"trigger_id": trigger, "view": view})
        return {"view": view}

    def _views_publish(self, p: JSON) -> JSON:
        user_id = str(p.get("user_id") or "")
        if not user_id:
            raise _SlackError("invalid_arguments")
        view = self._view(p, "home")
        with self._lock:
            self.views_published.append({"user_id": user_id, "view": view})
        return {"view": view}

    def _users_info(self, p: JSON) -> JSON:
        user_id = str(p.get("user") or "")
        # Any Slack-shaped ID is a user; tests need not declare everyone who talks.
        if user_id not in self.users and not re.fullmatch(r"[UW][A-Z0-9]+", user_id):
            raise _SlackError("user_not_found")
        return {"user": self._user(user_id)}

    def _reactions_add(self, p: JSON) -> JSON:
        channel = self._channel(p)
        ts = str(p.get("timestamp") or "")
        name = str(p.get("name") or "")
        if not name:
            raise _SlackError("invalid_name")
        if self.message(channel, ts) is None:
            raise _SlackError("message_not_found")
        with self._lock:
            if any(
                r == {"channel": channel, "timestamp": ts, "name": name} for r in self.reactions
            ):
                raise _SlackError("already_reacted")
            self.reactions.append({"channel": channel, "timestamp": ts, "name": name})
        return {}

    def _start_stream(self, p: JSON) -> JSON:
        if not self.streaming_enabled:
            raise _SlackError("feature_not_enabled")
        channel = self._channel(p)
        thread_ts = self._thread_root(channel, p.get("thread_ts"))
        if not thread_ts:
            raise _SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing thread_ts"]}
            )
        if not channel.startswith("D") and not (
            p.get("recipient_user_id") and p.get("recipient_team_id")
        ):
            raise _SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": [
                        "[ERROR] recipient_user_id and recipient_team_id are required "
                        "when streaming to channels"
                    ]
                },
            )
        text = self._stream_text(p)
        message = self._store(channel, self._bot_message(channel, {"text": text}, thread_ts))
        with self._lock:
            self._streams.add(message["ts"])
        return {"channel": channel, "ts": message["ts"]}

    def _stream_text(self, p: JSON) -> str:
        text = str(p.get("markdown_text") or "")
        for chunk in _parse_json_param(p.get("chunks"), "invalid_arguments") or []:
            if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
                text += str(chunk.get("text") or "")
        if len(text) > self.limits.markdown_text:
            raise _SlackError("msg_too_long")
        return text

    def _streaming_message(self, p: JSON) -> tuple[str, JSON]:
        channel = self._channel(p)
        ts = str(p.get("ts") or "")
        message = self.message(channel, ts)
        if message is None:
            raise _SlackError("message_not_found")
        if ts not in self._streams:
            raise _SlackError("message_not_in_streaming_state")
        return channel, message

    def _append_stream(self, p: JSON) -> JSON:
        channel, message = self._streaming_message(p)
        text = self._stream_text(p)
        with self._lock:
            message["text"] = message.get("text", "") + text
            self.edits[message["ts"]].append(_snapshot(message))
        return {"channel": channel, "ts": message["ts"]}

    def _stop_stream(self, p: JSON) -> JSON:
        channel, message = self._streaming_message(p)
        text = self._stream_text(p)
        blocks = None
        if p.get("blocks") is not None:
            blocks = self._message_content({"blocks": p["blocks"]})["blocks"]
        with self._lock:
            message["text"] = message.get("text", "") + text
            if blocks is not None:
                message["blocks"] = blocks
            self._streams.discard(message["ts"])
            self.edits[message["ts"]].append(_snapshot(message))
        public = {k: v for k, v in message.items() if k != "channel"}
        return {"channel": channel, "ts": message["ts"], "message": public}

    # -- HTTP: files, response_url ---------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        pending = self._pending_uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="upload URL not found")
        if request.content_type == "multipart/form-data":
            data = b""
            form = await request.post()
            for value in form.values():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    break
        else:
            # slack_sdk posts the raw bytes (urllib adds a form content type it does not mean).
            data = await request.read()
        with self._lock:
            pending["content"] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _download(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        file_id = key.removeprefix(f"{self.team_id}-")
        auth = request.headers.get("Authorization", "")
        authorized = auth == f"Bearer {self.bot_token}"
        with self._lock:
            self.downloads.append(
                {
                    "file_id": file_id,
                    "path": request.path,
                    "authorized": authorized,
                    "time": time.monotonic(),
                }
            )
        if not authorized:
            # Slack answers an unauthenticated file URL with its sign-in page, not an error.
            raise web.HTTPFound(f"/?redirect={quote(request.path_qs, safe='')}")
        obj, content = self.files.get(file_id), self.file_contents.get(file_id)
        if obj is None or content is None:
            return web.Response(status=404, text="file not found")
        headers = {}
        if request.match_info["rest"].startswith("download/"):
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(obj['name'])}"
        return web.Response(body=content, content_type=obj["mimetype"], headers=headers)

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        page = (
            "<!DOCTYPE html><html><head><title>Slack</title></head><body>"
            "<h1>Sign in to ThreadLab Test</h1><form><input name='email'></form></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        target = self._response_urls.get(request.match_info["rid"])
        if target is None:
            return web.Response(status=404, text="no_response_url")
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        with self._lock:
            self.responses.append({"target": target, "body": body})
        try:
            self._respond_with(body, target)
        except _SlackError as exc:
            return web.json_response({"ok": False, "error": exc.error, **exc.extra})
        return web.json_response({"ok": True})

    def _respond_with(self, body: JSON, target: JSON) -> None:
        """What Slack does with a response_url post or a slash command's ack payload."""
        channel = target["channel"]
        if target["kind"] == "message" and _truthy(body.get("delete_original")):
            with self._lock:
                self.messages = [
                    m
                    for m in self.messages
                    if not (m["channel"] == channel and m["ts"] == target["ts"])
                ]
            return
        if target["kind"] == "message" and _truthy(body.get("replace_original")):
            self._update(
                {
                    "channel": channel,
                    "ts": target["ts"],
                    **{k: v for k, v in body.items() if k in ("text", "blocks")},
                }
            )
            return
        content = self._message_content(body, require=False)
        if not content:
            return
        thread_ts = body.get("thread_ts")
        if body.get("response_type") == "in_channel":
            message = self._store(channel, self._bot_message(channel, content, thread_ts))
            self._echo(message)
        else:
            with self._lock:
                self.ephemerals.append(
                    {
                        "channel": channel,
                        "user": target["user"],
                        "ts": self._next_ts(),
                        "thread_ts": thread_ts,
                        **content,
                    }
                )


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def _snapshot(message: JSON) -> JSON:
    copy: JSON = json.loads(json.dumps(message))
    return copy


_METHODS: dict[str, Callable[[FakeSlack, JSON], JSON]] = {
    "auth.test": FakeSlack._auth_test,
    "apps.connections.open": FakeSlack._connections_open,
    "chat.postMessage": FakeSlack._post_message,
    "chat.update": FakeSlack._update,
    "chat.postEphemeral": FakeSlack._post_ephemeral,
    "chat.getPermalink": FakeSlack._permalink,
    "chat.startStream": FakeSlack._start_stream,
    "chat.appendStream": FakeSlack._append_stream,
    "chat.stopStream": FakeSlack._stop_stream,
    "conversations.replies": FakeSlack._replies,
    "files.info": FakeSlack._files_info,
    "files.getUploadURLExternal": FakeSlack._get_upload_url,
    "files.completeUploadExternal": FakeSlack._complete_upload,
    "views.open": FakeSlack._views_open,
    "views.publish": FakeSlack._views_publish,
    "users.info": FakeSlack._users_info,
    "reactions.add": FakeSlack._reactions_add,
}
