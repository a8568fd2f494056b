"""A local OpenAI-compatible server for tests: scripted replies, recorded requests.

It is a real HTTP server (127.0.0.1, a free port, a background thread) so that the real
`openai` client, its HTTP stack and its timeouts are exercised, not a mock of them.

    with FakeOpenAI() as fake:
        fake.script("first reply", FakeReply(status=500), '{"a": 1}')
        ...  # point OPENAI_BASE_URL at fake.url
        assert fake.requests[0]["messages"][-1]["content"] == "..."
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeAlias

__all__ = ["FakeOpenAI", "FakeReply", "Reply", "echo"]


@dataclass
class FakeReply:
    """One scripted answer. A status other than 200 answers with an error body."""

    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering: a slow or hung endpoint
    body: dict[str, Any] | None = None  # raw body to send instead of the usual shape
    finish_reason: str = "stop"
    usage: bool = True  # False: leave `usage` out, as some local servers do


Reply: TypeAlias = str | FakeReply | Callable[[dict[str, Any]], str | FakeReply]


def echo(request: dict[str, Any]) -> str:
    """The default reply: names the last message, so an unscripted call is recognisable."""
    messages = request.get("messages") or [{}]
    return f"echo: {messages[-1].get('content', '')}"


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _tokens(text: str) -> int:
    return len(text) // 4


class FakeOpenAI:
    """`/v1/chat/completions` (plain and `stream: true`) and `/v1/models`."""

    def __init__(self, *, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self.supports_json_schema = True
        # Added beside the schema switch so the last fallback (plain text) can be reached.
        self.supports_json_object = True
        self.default: Reply = echo
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies, used in order; when the queue is empty `default` answers."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._queue)

    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A delayed reply must not hold up shutdown: handlers are daemons, never joined.
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes any handler sleeping on `delay_s`
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler ---------------------------------------------------------------

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(headers)

    def _next_reply(self, body: dict[str, Any]) -> FakeReply:
        with self._lock:
            reply = self._queue.popleft() if self._queue else self.default
        if callable(reply):
            reply = reply(body)
        return reply if isinstance(reply, FakeReply) else FakeReply(text=reply)

    def _rejection(self, body: dict[str, Any]) -> FakeReply | None:
        """The 400 a server without structured output gives, before any script is used."""
        fmt = body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if (kind == "json_schema" and not self.supports_json_schema) or (
            kind == "json_object" and not self.supports_json_object
        ):
            message = f"response_format {kind} is not supported"
            return FakeReply(status=400, body=_error_body(400, message))
        return None

    def _sleep(self, seconds: float) -> bool:
        """Sleeps unless the server stops first; True when it stopped."""
        return self._stopping.wait(seconds) if seconds > 0 else False

    def _completion(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        prompt = "".join(str(m.get("content") or "") for m in body.get("messages", []))
        result: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
        }
        if reply.usage:
            p, c = _tokens(prompt), _tokens(reply.text)
            result["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        return result

    def _chunks(self, body: dict[str, Any], reply: FakeReply) -> Iterator[dict[str, Any]]:
        """The streamed form of `_completion`: a role chunk, word chunks, a stop chunk."""
        whole = self._completion(body, reply)
        base = {k: whole[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return {**base, "choices": [choice]}

        yield chunk({"role": "assistant", "content": ""}, None)
        for piece in _pieces(reply.text):
            yield chunk({"content": piece}, None)
        yield chunk({}, reply.finish_reason)
        options = body.get("stream_options") or {}
        if options.get("include_usage") and "usage" in whole:
            yield {**base, "choices": [], "usage": whole["usage"]}


def _pieces(text: str) -> Iterator[str]:
    """Splits after each space so joining the pieces gives the text back exactly."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " ":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a streamed reply ends by closing.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                self._json(404, _error_body(404, f"no route {self.path}"))
                return
            model = {"id": fake.model, "object": "model", "created": 0, "owned_by": "fake"}
            self._json(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, _error_body(404, f"no route {self.path}"))
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._json(400, _error_body(400, "the body is not JSON"))
                return
            # Recorded first, so a request whose reply hangs is still seen by the test.
            fake._record(body, {k.lower(): v for k, v in self.headers.items()})
            reply = fake._rejection(body) or fake._next_reply(body)
            if fake._sleep(reply.delay_s):
                return  # the server is stopping: drop the connection unanswered
            try:
                if reply.status != 200 or reply.body is not None:
                    message = reply.text or f"fake error {reply.status}"
                    error = reply.body
                    if error is None:
                        error = _error_body(reply.status, message)
                    self._json(reply.status, error, reply)
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._json(200, fake._completion(body, reply), reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout) before we answered

        def _json(
            self, status: int, payload: dict[str, Any], reply: FakeReply | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (reply.headers if reply else {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, body: dict[str, Any], reply: FakeReply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in fake._chunks(body, reply):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler
