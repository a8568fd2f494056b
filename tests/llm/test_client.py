"""LlmClient against a real HTTP fake, through the real `openai` package."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from bot.llm import LlmClient, LlmUnavailable
from bot.settings import Settings
from tests.fakes import FakeOpenAI, FakeReply
from tests.llm.conftest import Clock, MakeClient

ASK = [
    {"role": "system", "content": "You plan analyses. Reply in JSON."},
    {"role": "user", "content": "How many orders per month?"},
]
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def modes(fake: FakeOpenAI) -> list[str]:
    """The response format type of each recorded request ("text" when none)."""
    return [(r.get("response_format") or {}).get("type", "text") for r in fake.requests]


def ask_json(client: LlmClient) -> str:
    return client.complete_json(ASK, schema=SCHEMA, name="plan", purpose="plan")


# -- plain and structured completions ------------------------------------------------------


def test_plain_completion(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script("Hello there")
    client = make_client(llm_temperature=0.2, llm_max_tokens=123)
    assert client.complete(ASK, purpose="answer") == "Hello there"
    [request] = fake.requests
    assert request["model"] == "test-model"
    assert request["messages"] == ASK
    assert request["temperature"] == 0.2
    assert request["max_tokens"] == 123
    assert "response_format" not in request
    assert not request.get("stream")
    # No key configured: a placeholder, since local servers ignore it.
    assert fake.request_headers[0]["authorization"] == "Bearer not-needed"


def test_the_configured_key_is_sent(fake: FakeOpenAI, make_client: MakeClient) -> None:
    make_client(openai_api_key="sk-test-1234").complete(ASK, purpose="answer")
    assert fake.request_headers[0]["authorization"] == "Bearer sk-test-1234"


def test_json_schema_mode_when_supported(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script('{"a": 1}')
    client = make_client()
    assert ask_json(client) == '{"a": 1}'
    assert fake.requests[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "plan", "schema": SCHEMA, "strict": False},
    }
    assert client.json_mode == "json_schema"


def test_falls_back_to_json_object_then_text_and_remembers(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    fake.supports_json_schema = False
    fake.supports_json_object = False
    fake.script('{"a": 1}', '{"a": 2}')
    client = make_client()
    assert ask_json(client) == '{"a": 1}'
    assert modes(fake) == ["json_schema", "json_object", "text"]
    assert client.json_mode == "text"
    assert ask_json(client) == '{"a": 2}'
    assert modes(fake)[3:] == ["text"]  # straight to the mode that works
    # The refusals are accounted for, and do not count against the endpoint.
    assert [c.error is not None for c in client.calls] == [True, True, False, False]
    assert not client.circuit_open


def test_stops_at_json_object_when_that_works(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.supports_json_schema = False
    fake.script('{"a": 1}', '{"a": 2}')
    client = make_client()
    ask_json(client)
    ask_json(client)
    assert modes(fake) == ["json_schema", "json_object", "json_object"]
    assert client.json_mode == "json_object"


def test_any_400_in_a_json_mode_tries_the_next_mode(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    # e.g. a grammar engine choking on one schema feature, in words we cannot predict
    fake.script(FakeReply(status=400, text="unsupported keyword 'anyOf'"), '{"a": 1}')
    client = make_client()
    assert ask_json(client) == '{"a": 1}'
    assert modes(fake) == ["json_schema", "json_object"]
    assert client.json_mode == "json_object"  # remembered once the next mode answered


def test_a_422_about_something_else_is_not_a_mode_problem(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    fake.script(FakeReply(status=422, text="messages: field required"))
    client = make_client()
    with pytest.raises(LlmUnavailable, match=r"rejected the request \(HTTP 422"):
        ask_json(client)
    assert modes(fake) == ["json_schema"]
    assert client.json_mode == "json_schema"


def test_a_422_naming_response_format_falls_back(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script(FakeReply(status=422, text="response_format: json_schema unknown"), '{"a": 1}')
    client = make_client()
    assert ask_json(client) == '{"a": 1}'
    assert modes(fake) == ["json_schema", "json_object"]


def test_a_rejected_text_request_is_unavailable_but_not_a_failure(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    fake.script(*[FakeReply(status=400, text="context length exceeded")] * 3)
    client = make_client(llm_circuit_failures=1)
    with pytest.raises(LlmUnavailable, match=r"rejected the request.*context length exceeded"):
        client.complete(ASK, purpose="answer")
    assert len(fake.requests) == 1  # a 400 is not retried
    assert not client.circuit_open  # the endpoint answered: it is up


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('Here is the plan:\n```json\n{"a": 1}\n```\nAnything else?', '{"a": 1}'),
        ('Sure! The plan is {"a": {"b": [1, 2]}} as asked.', '{"a": {"b": [1, 2]}}'),
        ('<think>maybe {x}? no.</think>\n{"a": 3}', '{"a": 3}'),
        ('  {"a": 4}\n', '{"a": 4}'),
    ],
)
def test_json_is_extracted_from_the_reply(
    fake: FakeOpenAI, make_client: MakeClient, reply: str, expected: str
) -> None:
    fake.script(reply)
    assert ask_json(make_client()) == expected


def test_no_json_is_a_value_error(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script("I cannot help with that {sorry}.")
    client = make_client()
    with pytest.raises(ValueError, match="no JSON object in the reply"):
        ask_json(client)
    assert client.calls[-1].response == "I cannot help with that {sorry}."
    assert client.calls[-1].error is None  # the call itself went fine


def test_json_is_asked_for_when_the_prompt_does_not(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    fake.script('{"a": 1}')
    question = [{"role": "user", "content": "Plan it."}]
    make_client().complete_json(question, schema=SCHEMA, name="plan", purpose="plan")
    sent = fake.requests[0]["messages"]
    assert sent[:1] == question
    assert "JSON" in sent[-1]["content"]  # OpenAI refuses JSON mode without the word


# -- retries, timeouts, the breaker --------------------------------------------------------


def test_a_500_is_retried_after_a_backoff(
    fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]
) -> None:
    fake.script(FakeReply(status=500), "recovered")
    assert make_client().complete(ASK, purpose="answer") == "recovered"
    assert len(fake.requests) == 2
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 0.5  # the first backoff step, jittered


def test_backoff_grows(fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]) -> None:
    fake.script(FakeReply(status=503), FakeReply(status=502), FakeReply(status=500), "ok")
    assert make_client(llm_retries=3).complete(ASK, purpose="answer") == "ok"
    ceilings = [0.5, 1.0, 2.0]
    assert all(c / 2 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


def test_retry_after_is_honoured(
    fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]
) -> None:
    fake.script(FakeReply(status=429, headers={"Retry-After": "1"}), "ok")
    assert make_client().complete(ASK, purpose="answer") == "ok"
    assert sleeps == [1.0]


def test_a_huge_retry_after_is_capped(
    fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]
) -> None:
    fake.script(FakeReply(status=429, headers={"Retry-After": "3600"}), "ok")
    make_client().complete(ASK, purpose="answer")
    assert 1 <= sleeps[0] <= 30


def test_retries_exhausted(fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]) -> None:
    fake.default = FakeReply(status=500, text="model crashed")
    client = make_client(llm_retries=2)
    with pytest.raises(LlmUnavailable) as caught:
        client.complete(ASK, purpose="answer")
    message = caught.value.user_message
    assert message.startswith(f"The LLM at {fake.url} failed (HTTP 500: model crashed)")
    assert "gave up after 3 tries" in message
    assert len(fake.requests) == 3
    assert len(sleeps) == 2  # none after the last try


def test_a_hung_endpoint_times_out(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.default = FakeReply(text="too late", delay_s=10)
    client = make_client(llm_timeout_s=0.5, llm_retries=1)
    started = time.monotonic()
    with pytest.raises(LlmUnavailable, match=r"did not answer \(timed out after 0.5 s\)"):
        client.complete(ASK, purpose="plan")
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.5  # (retries + 1) x timeout, far from the 10 s delay
    assert len(fake.requests) == 2  # recorded though never answered
    assert [c.error for c in client.calls] == ["timed out after 0.5 s"] * 2


def test_an_endpoint_that_is_not_listening(sleeps: list[float]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free now; nothing will listen on it
    settings = Settings(
        _env_file=None, openai_base_url=f"http://127.0.0.1:{port}/v1", llm_model="m"
    )
    client = LlmClient(settings, sleep=sleeps.append)
    with pytest.raises(LlmUnavailable, match=r"could not be reached \(connection failed"):
        client.complete(ASK, purpose="plan")
    assert len(client.calls) == 3
    assert len(sleeps) == 2


def test_a_wrong_model_is_not_retried(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script(FakeReply(status=404, text="model 'nope' not found"))
    client = make_client(llm_circuit_failures=1)
    with pytest.raises(LlmUnavailable, match="does not know the model"):
        client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 1
    assert client.circuit_open  # every call would fail the same way


def test_the_circuit_opens_half_opens_and_closes(fake: FakeOpenAI, make_client: MakeClient) -> None:
    clock = Clock()
    client = make_client(clock=clock, llm_retries=1, llm_circuit_failures=2, llm_circuit_reset_s=30)
    fake.default = FakeReply(status=503)
    for _ in range(2):
        with pytest.raises(LlmUnavailable, match="HTTP 503"):
            client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 4
    assert client.circuit_open

    clock.now += 29
    with pytest.raises(LlmUnavailable, match=r"left alone after 2 failed calls.*in 1 s"):
        client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 4  # refused without a request
    assert len(client.calls) == 4

    clock.now += 1  # half-open: one trial
    assert not client.circuit_open
    fake.default = FakeReply(text="back")
    assert client.complete(ASK, purpose="plan") == "back"
    assert not client.circuit_open
    assert client.complete(ASK, purpose="plan") == "back"
    assert len(fake.requests) == 6


def test_a_failed_trial_reopens_at_once(
    fake: FakeOpenAI, make_client: MakeClient, sleeps: list[float]
) -> None:
    clock = Clock()
    client = make_client(clock=clock, llm_retries=2, llm_circuit_failures=1)
    fake.default = FakeReply(status=500)
    with pytest.raises(LlmUnavailable):
        client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 3
    clock.now += 60
    with pytest.raises(LlmUnavailable, match="HTTP 500"):
        client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 4  # the trial is one request, not three
    assert client.circuit_open
    with pytest.raises(LlmUnavailable, match="left alone"):
        client.complete(ASK, purpose="plan")
    assert len(fake.requests) == 4


def test_a_success_resets_the_failure_count(fake: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client(llm_retries=0, llm_circuit_failures=2)
    fake.script(FakeReply(status=500), "ok", FakeReply(status=500))
    for expect_ok in (False, True, False):
        if expect_ok:
            client.complete(ASK, purpose="plan")
        else:
            with pytest.raises(LlmUnavailable):
                client.complete(ASK, purpose="plan")
    assert not client.circuit_open  # two failures, but not in a row


# -- accounting, configuration, secrets ----------------------------------------------------


def test_a_reply_without_choices_is_a_failure(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.script(FakeReply(body={"object": "chat.completion", "choices": []}))
    client = make_client(llm_retries=0, llm_circuit_failures=1)
    with pytest.raises(LlmUnavailable, match=r"could not be read.*no choices"):
        client.complete(ASK, purpose="answer")
    assert client.calls[0].error == "the reply holds no choices"
    assert client.circuit_open


def test_calls_are_accounted(fake: FakeOpenAI, make_client: MakeClient) -> None:
    fake.supports_json_schema = False
    fake.script(
        FakeReply(text='{"a": 1}', delay_s=0.2),  # the json_object retry after the 400
        FakeReply(text="twelve chars", usage=False),
    )
    client = make_client()
    ask_json(client)
    client.complete(ASK, purpose="answer")
    refused, planned, answered = client.calls

    assert (refused.purpose, refused.mode, refused.model) == ("plan", "json_schema", "test-model")
    assert refused.error == "HTTP 400: response_format json_schema is not supported"
    assert (refused.prompt_tokens, refused.completion_tokens, refused.response) == (0, 0, "")

    prompt_chars = sum(len(m["content"]) for m in ASK)
    assert planned.mode == "json_object"
    assert planned.error is None
    assert planned.response == '{"a": 1}'
    assert planned.prompt_tokens == prompt_chars // 4  # the server's usage
    assert planned.completion_tokens == len('{"a": 1}') // 4
    assert planned.latency_s >= 0.2
    assert planned.messages == ASK

    assert (answered.purpose, answered.mode) == ("answer", "text")
    assert answered.prompt_tokens == prompt_chars // 4  # estimated: no usage sent
    assert answered.completion_tokens == 3


def test_recorded_messages_are_a_copy(fake: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client()
    messages = [{"role": "user", "content": "hi"}]
    client.complete(messages, purpose="answer")
    messages[0]["content"] = "changed"
    assert client.calls[0].messages == [{"role": "user", "content": "hi"}]


def test_recording_collects_this_threads_calls(fake: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client()
    client.complete(ASK, purpose="before")
    with client.recording() as run_calls:
        client.complete(ASK, purpose="plan")
        other = threading.Thread(target=client.complete, args=(ASK,), kwargs={"purpose": "other"})
        other.start()
        other.join()
        client.complete(ASK, purpose="answer")
    client.complete(ASK, purpose="after")
    assert [c.purpose for c in run_calls] == ["plan", "answer"]
    assert len(client.calls) == 5


def test_not_configured(sleeps: list[float]) -> None:
    client = LlmClient(Settings(_env_file=None), sleep=sleeps.append)
    with pytest.raises(LlmUnavailable, match="No LLM is configured"):
        client.complete(ASK, purpose="plan")
    assert client.calls == []


def test_the_model_defaults_to_the_first_one_served(
    fake: FakeOpenAI, make_client: MakeClient
) -> None:
    client = make_client(llm_model="")
    client.complete(ASK, purpose="plan")
    client.complete(ASK, purpose="plan")
    assert [r["model"] for r in fake.requests] == ["fake-model"] * 2
    assert client.calls[0].model == "fake-model"


def test_the_api_key_never_reaches_a_message(fake: FakeOpenAI, make_client: MakeClient) -> None:
    key = "sk-very-secret-key-42"
    fake.script(FakeReply(status=401, text=f"Incorrect API key provided: {key}"))
    client = make_client(openai_api_key=key, llm_timeout_s=0.3, llm_retries=0)
    with pytest.raises(LlmUnavailable) as caught:
        client.complete(ASK, purpose="plan")
    assert "refused the API key" in caught.value.user_message
    fake.script(FakeReply(delay_s=5))
    client2 = make_client(openai_api_key=key, llm_timeout_s=0.3, llm_retries=0)
    with pytest.raises(LlmUnavailable) as caught2:
        client2.complete(ASK, purpose="plan")
    for text in (caught.value.user_message, caught2.value.user_message, str(caught.value)):
        assert key not in text
    assert all(key not in (c.error or "") for c in client.calls + client2.calls)


def test_credentials_in_the_url_are_not_shown(fake: FakeOpenAI, sleeps: list[float]) -> None:
    url = fake.url.replace("http://", "http://user:hunter22@")
    settings = Settings(_env_file=None, openai_base_url=url, llm_model="m", llm_retries=0)
    client = LlmClient(settings, sleep=sleeps.append)
    assert client.base_url == fake.url
    fake.script(FakeReply(status=500))
    with pytest.raises(LlmUnavailable) as caught:
        client.complete(ASK, purpose="plan")
    assert "hunter22" not in caught.value.user_message
