"""The fake server itself, as other callers (streaming ones too) will use it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from openai import OpenAI

from tests.fakes import FakeOpenAI, FakeReply


def _client(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(base_url=fake.url, api_key="k", max_retries=0, timeout=2)


def test_streaming(fake: FakeOpenAI) -> None:
    fake.script("one two  three")
    stream = _client(fake).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two  three"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(text) // 4
    assert fake.requests[0]["stream"] is True


def test_completion_shape_and_models(fake: FakeOpenAI) -> None:
    client = _client(fake)
    reply = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "12345678"}]
    )
    assert reply.object == "chat.completion"
    assert reply.model == "m"
    assert reply.choices[0].message.content == "echo: 12345678"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 3)
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_callable_replies_see_the_request(fake: FakeOpenAI) -> None:
    def shout(request: dict[str, Any]) -> FakeReply:
        return FakeReply(text=request["messages"][-1]["content"].upper())

    fake.default = shout
    reply = _client(fake).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == "HI"


def test_scripted_replies_run_out_into_the_default(fake: FakeOpenAI) -> None:
    fake.script("first")
    client = _client(fake)
    texts = [
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        .choices[0]
        .message.content
        for _ in range(2)
    ]
    assert texts == ["first", "echo: x"]
    assert fake.pending == 0


def test_raw_error_body(fake: FakeOpenAI) -> None:
    fake.script(FakeReply(status=418, body={"detail": "teapot"}))
    with pytest.raises(Exception) as caught:
        _client(fake).chat.completions.create(model="m", messages=[])
    assert getattr(caught.value, "status_code", None) == 418
    assert getattr(caught.value, "body", None) == {"detail": "teapot"}


def test_stops_promptly_while_a_reply_hangs() -> None:
    fake = FakeOpenAI().start()
    fake.default = FakeReply(delay_s=60)
    client = OpenAI(base_url=fake.url, api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(Exception, match="timed out"):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert len(fake.requests) == 1  # recorded before the (never sent) answer
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 1.0
