"""A fake OpenAI-compatible server per test, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.llm import LlmClient
from bot.settings import Settings
from tests.fakes import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    """What the client asked to sleep: backoff is checked, never waited for."""
    return []


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


MakeClient = Callable[..., LlmClient]


@pytest.fixture
def make_client(fake: FakeOpenAI, sleeps: list[float]) -> MakeClient:
    def make(*, clock: Callable[[], float] | None = None, **overrides: Any) -> LlmClient:
        values: dict[str, Any] = {
            "openai_base_url": fake.url,
            "llm_model": "test-model",
            "llm_timeout_s": 2.0,
            "llm_retries": 2,
        }
        values.update(overrides)
        settings = Settings(_env_file=None, **values)
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        return LlmClient(settings, sleep=sleeps.append, **extra)

    return make
