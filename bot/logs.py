"""Logging for the bot's processes: text or JSON lines, run and thread ids, no secrets.

`configure(settings)` installs one stderr handler on the root logger. Its filter runs on
every record of every library before it is formatted: it redacts the values of the
SecretStr settings and anything shaped like a Slack or OpenAI token, and masks
validator-backed PII (phones, ID numbers, emails, bank cards, IPs) with its type. So a
token pasted into a question, or a phone number in an exception message, reaches no log.
Names and addresses have no validator and are not caught in free text: code should not
log raw cell values in the first place.

`log_context(run_id=..., thread=...)` tags every record logged inside it, on this thread.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, TextIO

from pydantic import SecretStr

from bot.pii.detect import find_spans
from bot.settings import Settings

REDACTED: Final = "[redacted]"
# Slack tokens (xoxb- bot, xoxp- user, xoxa-/xoxr-/xoxe- and friends), app-level tokens,
# OpenAI-style keys, and bearer credentials as HTTP libraries log them. The lookbehind
# keeps words such as "task-1" or "disk-usage" out of the sk- pattern.
_TOKEN_PATTERNS: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,})"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
)
# Shorter "secrets" would redact common substrings of every message and protect nothing.
_MIN_SECRET_LENGTH: Final = 4
_MARK: Final = "_threadlab_handler"  # on the handler configure() installs, to replace it
# The record attribute the tags travel in: LogRecord already has a `thread` (its id).
_TAGS: Final = "threadlab_tags"

# Immutable pairs: a ContextVar's default is shared by every context that never set it.
_context: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "threadlab_log_context", default=()
)


@contextmanager
def log_context(*, run_id: str | None = None, thread: str | None = None) -> Iterator[None]:
    """Tags the records logged inside the block with the run and thread they serve."""
    tags = dict(_context.get())
    tags.update({k: v for k, v in (("run_id", run_id), ("thread", thread)) if v})
    reset = _context.set(tuple(tags.items()))
    try:
        yield
    finally:
        _context.reset(reset)


def secrets_of(settings: Settings) -> list[str]:
    """The values of every SecretStr setting that is set (tokens, signing secret, key)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret) >= _MIN_SECRET_LENGTH:
                values.append(secret)
    return values


class Redactor:
    """Text without secrets, tokens or validator-backed PII."""

    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _TOKEN_PATTERNS.sub(REDACTED, text)
        # Right to left, so earlier offsets stay valid as spans are replaced.
        for span in reversed(find_spans(text)):
            if span.pii_type == "ip" and _machine_address(span.text):
                continue
            text = f"{text[: span.start]}[{span.pii_type}]{text[span.end :]}"
        return text


def _machine_address(text: str) -> bool:
    """Loopback and "any" addresses name no person; the bot logs them as its own."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class RedactingFilter(logging.Filter):
    """Rewrites each record in place: message, traceback and stack, redacted.

    A handler's filter, not a logger's: records of child loggers propagate to the root's
    handlers without passing the root logger's own filters.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args: a logging call must never raise at its caller
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None  # already merged into msg: formatting twice would fail on %
        if record.exc_info:
            # The formatter prints exc_text when set; it never sees the raw exception.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        setattr(record, _TAGS, dict(_context.get()))
        return True


def _tags(record: logging.LogRecord) -> dict[str, str]:
    tags: dict[str, str] = getattr(record, _TAGS, {})
    return tags


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = _tags(record)
        if not tags:
            return line
        first, newline, rest = line.partition("\n")  # tags on the message, not the traceback
        tagged = " ".join(f"{k}={v}" for k, v in tags.items())
        return f"{first} [{tagged}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, run_id/thread, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_tags(record))
        if record.exc_text or record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def configure(
    settings: Settings, *, level: str | None = None, stream: TextIO | None = None
) -> logging.Handler:
    """Installs (or replaces) the bot's stderr handler; returns it.

    `level` overrides `settings.log_level` (a CLI that is quiet unless asked). Handlers
    installed by others (pytest's, an embedding application's) are left in place.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    handler.addFilter(RedactingFilter(Redactor(secrets_of(settings))))
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel((level or settings.log_level).upper())
    return handler
