"""How long to wait before retrying an LLM request.

The server's Retry-After wins when it sends one (a rate limiter knows best), capped so a
chat reply is not held for minutes; otherwise exponential backoff with jitter, so that
bot threads that failed together do not all retry in the same instant.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

BASE_S = 0.5
MAX_BACKOFF_S = 8.0
RETRY_AFTER_CAP_S = 20.0


def retry_delay(
    attempt: int,
    headers: Mapping[str, str] | None = None,
    *,
    now: Callable[[], float] | None = None,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to sleep after failed attempt number `attempt` (0 for the first try)."""
    hinted = retry_after_s(headers, now=now) if headers is not None else None
    if hinted is not None:
        return min(hinted, RETRY_AFTER_CAP_S)
    ceiling = min(MAX_BACKOFF_S, BASE_S * 2.0**attempt)
    # Between half and all of the ceiling: spread out, but never a zero-length retry.
    return ceiling * (0.5 + 0.5 * jitter())


def retry_after_s(
    headers: Mapping[str, str], *, now: Callable[[], float] | None = None
) -> float | None:
    """The wait the server asked for: `retry-after-ms`, `retry-after` seconds or HTTP date."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    # An HTTP date needs the wall clock, not the client's monotonic one.
    current = now() if now is not None else time.time()
    return max(0.0, when - current)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
