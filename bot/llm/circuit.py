"""A circuit breaker: after a run of failed calls, stop calling for a while.

A dead endpoint costs (retries + 1) x timeout per call; without a breaker every request
in every thread would pay that before the rules planner answers. Closed: calls go
through. Open: calls are refused at once. After `reset_s` one trial call is let through
(half-open); its success closes the circuit, its failure opens it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class CircuitOpen(Exception):
    """Refused without a call; `retry_in_s` says when a trial call will be allowed."""

    def __init__(self, failures: int, retry_in_s: float) -> None:
        super().__init__(f"circuit open after {failures} failed calls")
        self.failures = failures
        self.retry_in_s = retry_in_s


class CircuitBreaker:
    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float]) -> None:
        self._threshold = max(1, failures)
        self._reset_s = reset_s
        self._clock = clock
        self._lock = threading.Lock()  # one client serves every chat thread
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        """True while calls would be refused (open, or half-open with its trial running)."""
        with self._lock:
            if self._opened_at is None:
                return False
            return self._trial_running or not self._reset_elapsed()

    def before_call(self) -> bool:
        """Raises CircuitOpen if the call may not go; returns True for a half-open trial."""
        with self._lock:
            if self._opened_at is None:
                return False
            if self._trial_running or not self._reset_elapsed():
                retry_in = max(0.0, self._opened_at + self._reset_s - self._clock())
                raise CircuitOpen(self._failures, retry_in)
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._trial_running = False

    def release(self) -> None:
        """Ends a half-open trial without a verdict: the next call may try again."""
        with self._lock:
            self._trial_running = False

    def _reset_elapsed(self) -> bool:
        assert self._opened_at is not None
        return self._clock() - self._opened_at >= self._reset_s
