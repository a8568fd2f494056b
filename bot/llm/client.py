"""One client for every OpenAI-compatible endpoint: OpenAI, Azure, vLLM, Ollama, LM Studio.

Built on the `openai` package with its own retries off: retries, backoff, Retry-After and
the circuit breaker live here, under one roof, with an injectable clock and sleep so
tests can drive them. Failures reach callers as `LlmUnavailable`, whose message a user
can read (and which never holds the API key); a reply without JSON where JSON was asked
for is a `ValueError`, which callers treat like a validation failure and re-ask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit, urlunsplit

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    OpenAI,
    OpenAIError,
    omit,
)

from bot.errors import ThreadLabError
from bot.llm.backoff import retry_delay
from bot.llm.circuit import CircuitBreaker, CircuitOpen
from bot.llm.jsontext import extract_json
from bot.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
# Local servers ignore the key, but the openai package refuses to start without one.
PLACEHOLDER_KEY = "not-needed"

Mode = Literal["json_schema", "json_object", "text"]
JSON_MODES: tuple[Mode, ...] = ("json_schema", "json_object", "text")

_RETRY_STATUSES = {408, 409, 429}  # plus every 5xx
_CONFIG_STATUSES = {401, 403, 404}  # every call will fail the same way: counts as down
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "json_object")
_DETAIL_CHARS = 200


@dataclass(frozen=True)
class LlmCall:
    """Accounting for one HTTP round trip, failed ones included."""

    purpose: str  # "plan", "repair", "answer", ... given by the caller
    model: str
    mode: str  # "json_schema" | "json_object" | "text"
    prompt_tokens: int  # from the server's `usage`, else estimated (len // 4); 0 on failure
    completion_tokens: int
    latency_s: float
    messages: list[dict[str, str]]  # what was sent (callers pass only masked text)
    response: str  # the text received ("" on failure)
    error: str | None  # None when ok


class LlmUnavailable(ThreadLabError):
    """The LLM cannot be used now: not configured, unreachable, failing, or left alone
    for a while after failing."""


class _NoChoices(OpenAIError):
    """A 200 whose body holds no choice: a broken server or proxy, handled like an error."""


class _Rejected(Exception):
    """The server is up but refused this request (4xx); complete_json may change mode."""

    def __init__(self, error: APIStatusError) -> None:
        super().__init__(error.message)
        self.error = error


class LlmClient:
    """Chat completions with retries, a circuit breaker and per-call accounting.

    One instance serves every chat thread (it is thread-safe), so the circuit and the
    learnt JSON mode are shared. `calls` holds every round trip of every thread; to get
    one run's calls, wrap the run in `with client.recording() as calls:`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self.calls: list[LlmCall] = []
        self._key = settings.openai_api_key.get_secret_value()
        self._url = settings.openai_base_url.strip().rstrip("/") or OPENAI_URL
        self._circuit = CircuitBreaker(
            settings.llm_circuit_failures, settings.llm_circuit_reset_s, clock
        )
        self._model = settings.llm_model.strip()
        self._model_lock = threading.Lock()
        self._json_mode = 0  # index into JSON_MODES: how far this server made us fall back
        self._recorders = threading.local()
        self._openai = OpenAI(
            base_url=self._url,
            api_key=self._key or PLACEHOLDER_KEY,
            timeout=settings.llm_timeout_s,
            max_retries=0,  # ours, below
        )

    # -- public ------------------------------------------------------------------------------

    @property
    def circuit_open(self) -> bool:
        """True while calls are refused without being made."""
        return self._circuit.is_open

    @property
    def base_url(self) -> str:
        """The endpoint, fit to show a user (no credentials in it)."""
        return _display_url(self._url)

    @property
    def json_mode(self) -> Mode:
        """The structured-output mode complete_json starts with, as learnt from the server."""
        return JSON_MODES[self._json_mode]

    @contextmanager
    def recording(self) -> Iterator[list[LlmCall]]:
        """Collects the calls this thread makes inside the block (they still go to
        `calls` too); blocks may nest."""
        mine: list[LlmCall] = []
        stack: list[list[LlmCall]] = self._recorder_stack()
        stack.append(mine)
        try:
            yield mine
        finally:
            stack.remove(mine)

    def complete(self, messages: list[dict[str, str]], *, purpose: str) -> str:
        """The model's reply to `messages`, as text."""
        try:
            return self._request(messages, purpose=purpose, mode="text", response_format=None)
        except _Rejected as exc:
            raise LlmUnavailable(self._message(exc.error, 1)) from None

    def complete_json(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any],
        name: str,
        purpose: str,
    ) -> str:
        """The JSON object text of the reply (not validated against `schema`: the caller
        validates and may re-ask). Raises ValueError when the reply holds no JSON object.

        Asks with a JSON schema response format first, then JSON mode, then plain text,
        moving down when the server rejects a mode and remembering where it got to.
        """
        messages = _asking_for_json(messages)
        index = self._json_mode
        while True:
            mode = JSON_MODES[index]
            try:
                text = self._request(
                    messages,
                    purpose=purpose,
                    mode=mode,
                    response_format=_response_format(mode, schema, name),
                )
            except _Rejected as exc:
                if not _falls_back(mode, exc.error):
                    raise LlmUnavailable(self._message(exc.error, 1)) from None
                index += 1
                if _mentions_format(exc.error):
                    self._remember_mode(index)  # the server said so: no need to ask again
                continue
            # A later mode answering shows the earlier refusals were about the mode.
            self._remember_mode(index)
            return extract_json(text)

    # -- one call: circuit, retries ------------------------------------------------------------

    def _request(
        self,
        messages: list[dict[str, str]],
        *,
        purpose: str,
        mode: Mode,
        response_format: dict[str, Any] | None,
    ) -> str:
        if not self._settings.llm_configured():
            raise LlmUnavailable(
                "No LLM is configured: set OPENAI_BASE_URL (or OPENAI_API_KEY for OpenAI) "
                "and THREADLAB_LLM_MODEL."
            )
        try:
            trial = self._circuit.before_call()
        except CircuitOpen as exc:
            raise LlmUnavailable(
                f"The LLM at {self.base_url} is being left alone after {exc.failures} failed "
                f"calls in a row; it will be tried again in {exc.retry_in_s:.0f} s."
            ) from None
        # A half-open trial is a single request: a still-dead endpoint costs one timeout.
        attempts = 1 if trial else 1 + max(0, self._settings.llm_retries)
        try:
            return self._attempts(messages, purpose, mode, response_format, attempts)
        except BaseException:
            # Failures were recorded already; this frees a half-open trial that ended in
            # anything else (a bug, KeyboardInterrupt), which would otherwise wedge it.
            self._circuit.release()
            raise

    def _attempts(
        self,
        messages: list[dict[str, str]],
        purpose: str,
        mode: Mode,
        response_format: dict[str, Any] | None,
        attempts: int,
    ) -> str:
        for attempt in range(attempts):
            try:
                text = self._round_trip(messages, purpose, mode, response_format)
            except OpenAIError as exc:
                if _retryable(exc) and attempt + 1 < attempts:
                    self._sleep(retry_delay(attempt, _headers(exc)))
                    continue
                if isinstance(exc, APIStatusError) and _rejects_request(exc):
                    self._circuit.record_success()  # it answered: the endpoint is up
                    raise _Rejected(exc) from None
                self._circuit.record_failure()
                raise LlmUnavailable(self._message(exc, attempt + 1)) from None
            self._circuit.record_success()
            return text
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _round_trip(
        self,
        messages: list[dict[str, str]],
        purpose: str,
        mode: Mode,
        response_format: dict[str, Any] | None,
    ) -> str:
        """One HTTP request, recorded in `calls` whatever its outcome."""
        sent = [dict(m) for m in messages]  # the caller may go on to extend its list
        started = self._clock()
        model = self._model
        try:
            model = self._resolve_model()
            response = self._openai.chat.completions.create(
                model=model,
                messages=cast(Any, sent),
                temperature=self._settings.llm_temperature,
                max_tokens=self._settings.llm_max_tokens,
                response_format=cast(Any, response_format) if response_format else omit,
                stream=False,
            )
            if not getattr(response, "choices", None):
                raise _NoChoices("the reply holds no choices")
        except OpenAIError as exc:
            self._account(
                LlmCall(purpose, model, mode, 0, 0, self._clock() - started, sent, "",
                        self._scrub(_reason(exc, self._settings.llm_timeout_s)))
            )  # fmt: skip
            raise
        text = response.choices[0].message.content or ""  # None: a refusal or a tool call
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else _estimate(sent)
        completion_tokens = usage.completion_tokens if usage else len(text) // 4
        self._account(
            LlmCall(purpose, response.model or model, mode, prompt_tokens, completion_tokens,
                    self._clock() - started, sent, text, None)
        )  # fmt: skip
        return text

    def _resolve_model(self) -> str:
        """THREADLAB_LLM_MODEL, or else the first model the server lists (LM Studio and
        single-model vLLM serve one; asking saves the user looking its name up)."""
        with self._model_lock:
            if not self._model:
                listed = [m.id for m in self._openai.models.list()]
                if not listed:
                    raise LlmUnavailable(
                        f"The LLM at {self.base_url} lists no models: set THREADLAB_LLM_MODEL."
                    )
                self._model = listed[0]
            return self._model

    def _account(self, call: LlmCall) -> None:
        self.calls.append(call)
        for recorder in self._recorder_stack():
            recorder.append(call)

    def _recorder_stack(self) -> list[list[LlmCall]]:
        stack: list[list[LlmCall]] | None = getattr(self._recorders, "stack", None)
        if stack is None:
            stack = self._recorders.stack = []
        return stack

    def _remember_mode(self, index: int) -> None:
        self._json_mode = max(self._json_mode, min(index, len(JSON_MODES) - 1))

    # -- messages for people ---------------------------------------------------------------

    def _message(self, exc: OpenAIError, tries: int) -> str:
        timeout = self._settings.llm_timeout_s
        reason = _reason(exc, timeout)
        if isinstance(exc, APITimeoutError):
            what = "did not answer"
        elif isinstance(exc, APIConnectionError):
            what = "could not be reached"
        elif isinstance(exc, APIStatusError) and exc.status_code == 429:
            what = "is limiting requests"
        elif isinstance(exc, APIStatusError) and exc.status_code >= 500:
            what = "failed"
        elif isinstance(exc, APIStatusError) and exc.status_code in {401, 403}:
            what = "refused the API key (check OPENAI_API_KEY)"
        elif isinstance(exc, APIStatusError) and exc.status_code == 404:
            what = "does not know the model or path (check THREADLAB_LLM_MODEL and the URL)"
        elif isinstance(exc, APIStatusError):
            what = "rejected the request"
        else:
            what = "gave an answer that could not be read"
        tail = f"; gave up after {tries} tries" if tries > 1 else ""
        return self._scrub(f"The LLM at {self.base_url} {what} ({reason}){tail}.")

    def _scrub(self, text: str) -> str:
        """Servers may echo the key in an error; it must not reach a chat or a log."""
        if len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return text


# -- helpers ---------------------------------------------------------------------------------


def _response_format(mode: Mode, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        # strict=False: OpenAI's strict mode rejects common schema features (defaults,
        # optional fields); the caller validates anyway.
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": False},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _asking_for_json(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """OpenAI refuses JSON mode unless a message says "JSON"; text mode needs telling too."""
    if any("json" in str(m.get("content", "")).lower() for m in messages):
        return messages
    return [*messages, {"role": "system", "content": "Reply with one JSON object only."}]


def _falls_back(mode: Mode, error: APIStatusError) -> bool:
    if mode == "text":
        return False
    return error.status_code == 400 or (error.status_code == 422 and _mentions_format(error))


def _mentions_format(error: APIStatusError) -> bool:
    text = f"{error.message} {error.body}".lower()
    return any(word in text for word in _FORMAT_WORDS)


def _retryable(exc: OpenAIError) -> bool:
    if isinstance(exc, APIConnectionError):  # timeouts included
        return True
    if isinstance(exc, APIStatusError):
        return exc.status_code in _RETRY_STATUSES or exc.status_code >= 500
    return False


def _rejects_request(exc: APIStatusError) -> bool:
    """A 4xx about this request, as opposed to the endpoint being down or misconfigured."""
    status = exc.status_code
    return 400 <= status < 500 and status not in _RETRY_STATUSES | _CONFIG_STATUSES


def _headers(exc: OpenAIError) -> Mapping[str, str] | None:
    return exc.response.headers if isinstance(exc, APIStatusError) else None


def _reason(exc: OpenAIError, timeout_s: float) -> str:
    """A short cause for a log line or a chat message."""
    if isinstance(exc, APITimeoutError):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, APIConnectionError):
        cause = exc.__cause__
        detail = str(cause) if cause is not None and str(cause) else exc.message
        return _clip(f"connection failed: {detail}")
    if isinstance(exc, APIStatusError):
        return _clip(f"HTTP {exc.status_code}: {_server_message(exc)}")
    return _clip(str(exc) or type(exc).__name__)


def _server_message(exc: APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    if isinstance(body, str) and body.strip():
        return body.strip()
    return exc.response.reason_phrase or "no message"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _estimate(messages: list[dict[str, str]]) -> int:
    return sum(len(str(m.get("content", ""))) for m in messages) // 4


def _display_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
