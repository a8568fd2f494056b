"""The client's parts on their own: JSON extraction, backoff, the circuit breaker."""

from __future__ import annotations

import pytest

from bot.llm.backoff import RETRY_AFTER_CAP_S, retry_after_s, retry_delay
from bot.llm.circuit import CircuitBreaker, CircuitOpen
from bot.llm.jsontext import extract_json
from tests.llm.conftest import Clock


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('```\n{"a": 1}\n```', '{"a": 1}'),
        # the ```json block wins over an earlier unlabelled one
        ('```\nnot json\n```\n```json\n{"b": 2}\n```', '{"b": 2}'),
        # a broken fence: the span search still finds the object
        ('```json\n{"a": 1\n```\nI mean {"a": 1}', '{"a": 1}'),
        ('The answer {is} here: {"a": "}"} ok', '{"a": "}"}'),
        ('{"outer": {"inner": 1}} and {"second": 2}', '{"outer": {"inner": 1}}'),
        ('<THINK>{"draft": 0}</THINK>{"final": 1}', '{"final": 1}'),
    ],
)
def test_extract_json(text: str, expected: str) -> None:
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "no braces", "[1, 2]", "{not: json}", "```json\n[1]\n```"])
def test_extract_json_without_an_object(text: str) -> None:
    with pytest.raises(ValueError, match="no JSON object in the reply"):
        extract_json(text)


def test_retry_after_forms() -> None:
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({"retry-after-ms": "250"}) == 0.25
    assert retry_after_s({"Retry-After": "soon"}) is None
    assert retry_after_s({"Retry-After": "-1"}) is None
    date = "Wed, 21 Oct 2015 07:28:10 GMT"
    assert retry_after_s({"Retry-After": date}, now=lambda: 1445412480.0) == 10.0
    assert retry_after_s({}) is None


def test_retry_delay() -> None:
    assert retry_delay(0, {"Retry-After": "3"}) == 3.0
    assert retry_delay(0, {"Retry-After": "900"}) == RETRY_AFTER_CAP_S
    assert retry_delay(0, jitter=lambda: 0.0) == 0.25
    assert retry_delay(2, jitter=lambda: 1.0) == 2.0
    assert retry_delay(30, jitter=lambda: 1.0) == 8.0  # capped


def test_circuit_breaker() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, reset_s=10, clock=clock)
    assert breaker.before_call() is False
    breaker.record_failure()
    assert not breaker.is_open
    breaker.record_failure()
    assert breaker.is_open
    with pytest.raises(CircuitOpen) as caught:
        breaker.before_call()
    assert caught.value.retry_in_s == 10
    clock.now += 10
    assert breaker.before_call() is True  # the trial
    assert breaker.is_open  # others wait while it runs
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    breaker.record_success()
    assert not breaker.is_open
    assert breaker.before_call() is False


def test_a_released_trial_can_be_tried_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, reset_s=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    assert breaker.before_call() is True
    breaker.release()
    assert breaker.before_call() is True
