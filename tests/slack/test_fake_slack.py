"""The fake Slack against the real slack_sdk and slack_bolt clients.

If these pass, a bot test that fails against the fake fails for the bot's reasons: the
clients speak to it exactly as they would speak to Slack.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.fakes.slack_server import FakeSlack, escape_text

# A short ping interval makes the built-in client notice a dropped socket in under a second
# (it reconnects from its ping monitor, which runs at this interval).
PING_S = 0.3


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.url)


class Socket:
    """The built-in Socket Mode client, acking everything and keeping what it received."""

    def __init__(self, fake: FakeSlack) -> None:
        self.requests: list[SocketModeRequest] = []
        self.raw: list[dict[str, Any]] = []
        self.ack_payload: dict[str, Any] | None = None
        self.client = SocketModeClient(
            app_token=fake.app_token,
            web_client=WebClient(base_url=fake.url),
            ping_interval=PING_S,
        )
        self.client.on_message_listeners.append(lambda text: self.raw.append(json.loads(text)))
        self.client.socket_mode_request_listeners.append(self._on_request)

    def _on_request(self, client: Any, req: SocketModeRequest) -> None:
        self.requests.append(req)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload=self.ack_payload)
        )

    def request(self, envelope_id: str) -> SocketModeRequest:
        return next(r for r in self.requests if r.envelope_id == envelope_id)


@pytest.fixture
def socket(fake: FakeSlack) -> Iterator[Socket]:
    sock = Socket(fake)
    sock.client.connect()
    assert fake.connected.wait(5)
    yield sock
    fake.close_client(sock.client)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, value: str = "v", action_id: str = "go") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "value": value,
        "action_id": action_id,
    }


# -- Web API --------------------------------------------------------------------------------


def test_post_update_and_replies_round_trip(fake: FakeSlack, client: WebClient) -> None:
    root = client.chat_postMessage(channel="C1", text="question")
    reply = client.chat_postMessage(channel="C1", text="working…", thread_ts=root["ts"])
    assert reply["message"]["thread_ts"] == root["ts"]
    assert reply["message"]["bot_id"] == fake.bot_id

    updated = client.chat_update(
        channel="C1", ts=reply["ts"], text="done", blocks=[section("*done*")]
    )
    assert updated["text"] == "done"
    assert [v["text"] for v in fake.edits[reply["ts"]]] == ["working…", "done"]
    message = fake.message("C1", reply["ts"])
    assert message is not None and message["blocks"][0]["block_id"]  # Slack fills block_ids

    thread = client.conversations_replies(channel="C1", ts=root["ts"])["messages"]
    assert [m["text"] for m in thread] == ["question", "done"]
    assert thread[0]["reply_count"] == 1

    # A reply's ts threads under the same root, and a permalink points into the thread.
    nested = client.chat_postMessage(channel="C1", text="more", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == root["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=nested["ts"])["permalink"]
    assert f"thread_ts={root['ts']}" in link

    ephemeral = client.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert fake.ephemerals[0]["user"] == "U2" and ephemeral["message_ts"]

    calls = fake.calls_to("chat.postMessage")
    assert len(calls) == 3 and calls[0].token == fake.bot_token
    assert calls[0].headers["Authorization"] == f"Bearer {fake.bot_token}"
    assert calls[1].params["thread_ts"] == root["ts"]

    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_tokens_are_checked(fake: FakeSlack) -> None:
    cases = [
        (WebClient(token="xoxb-wrong", base_url=fake.url), "invalid_auth"),
        (WebClient(base_url=fake.url), "not_authed"),
        (WebClient(token=fake.app_token, base_url=fake.url), "not_allowed_token_type"),
    ]
    for web, error in cases:
        with pytest.raises(SlackApiError) as err:
            web.chat_postMessage(channel="C1", text="hi")
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == error
    bot = WebClient(token=fake.bot_token, base_url=fake.url)
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        bot.apps_connections_open(app_token=fake.bot_token)
    assert bot.auth_test()["user_id"] == fake.bot_user_id


def test_rate_limit_answers_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="progress 1")
    fake.rate_limit("chat.update", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=posted["ts"], text="progress 2")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert client.chat_update(channel="C1", ts=posted["ts"], text="progress 3")["ok"]
    assert [c.status for c in fake.calls_to("chat.update")] == [429, 200]

    fake.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C1", text="x")


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


MRKDWN = {"type": "mrkdwn", "text": "c"}
CONFIRM = {
    "title": {"type": "plain_text", "text": "t" * 101},
    "text": {"type": "mrkdwn", "text": "sure?"},
    "confirm": {"type": "plain_text", "text": "Yes"},
    "deny": {"type": "plain_text", "text": "No"},
}
TOO_MUCH = {
    "51 blocks": ([section("x")] * 51, "/blocks"),
    "section text": ([section("x" * 3001)], "/blocks/0/text/text"),
    "header text": ([header("h" * 151)], "/blocks/0/text/text"),
    "header mrkdwn": ([{"type": "header", "text": MRKDWN}], "/blocks/0/text/type"),
    "context": ([{"type": "context", "elements": [MRKDWN] * 11}], "/blocks/0/elements"),
    "button text": ([actions(button("b" * 76))], "/blocks/0/elements/0/text/text"),
    "value": ([actions(button("ok", value="v" * 2001))], "/blocks/0/elements/0/value"),
    "empty text": ([section("")], "/blocks/0/text/text"),
    "block_id": ([section("a", block_id="d"), section("b", block_id="d")], "/blocks/1/block_id"),
    "fields": ([{"type": "section", "fields": [MRKDWN] * 11}], "/blocks/0/fields"),
    "type": ([{"type": "nonsense"}], "/blocks/0/type"),
    "confirm": (
        [actions({**button("x"), "confirm": CONFIRM})],
        "/blocks/0/elements/0/confirm/title/text",
    ),
}


@pytest.mark.parametrize(("blocks", "pointer"), TOO_MUCH.values(), ids=TOO_MUCH.keys())
def test_block_kit_limits_are_enforced(
    fake: FakeSlack, client: WebClient, blocks: list[dict[str, Any]], pointer: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    body = err.value.response
    assert body["error"] == "invalid_blocks"
    assert any(e.endswith(f"[json-pointer:{pointer}]") for e in body["errors"]), body["errors"]
    assert body["response_metadata"]["messages"][0].startswith("[ERROR] ")
    # chat.update checks the same limits.
    posted = client.chat_postMessage(channel="C1", text="ok")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_update(channel="C1", ts=posted["ts"], text="fallback", blocks=blocks)
    assert fake.message("C1", posted["ts"])["text"] == "ok"  # type: ignore[index]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_limits_are_exact_and_text_length_is_checked(client: WebClient) -> None:
    at_limit = [
        header("h" * 150),
        *[section("x" * 3000)] * 48,
        actions(button("b" * 75, value="v" * 2000)),
    ]
    assert client.chat_postMessage(channel="C1", text="t" * 40_000, blocks=at_limit)["ok"]
    with pytest.raises(SlackApiError, match="msg_too_long"):
        client.chat_postMessage(channel="C1", text="t" * 40_001)
    with pytest.raises(SlackApiError, match="no_text"):
        client.chat_postMessage(channel="C1")


def test_files_upload_v2_into_a_thread(fake: FakeSlack, client: WebClient) -> None:
    root = client.chat_postMessage(channel="C1", text="analysis")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8000  # > 1 MiB, like a real chart
    result = client.files_upload_v2(
        content=png,
        filename="chart.png",
        title="Revenue by month",
        channel="C1",
        thread_ts=root["ts"],
        initial_comment="Here is the chart",
    )
    file_id = result["file"]["id"]
    assert [c.method for c in fake.calls] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    upload = fake.uploads[0]
    assert upload["content"] == png and upload["name"] == "chart.png"
    assert (upload["channel"], upload["thread_ts"]) == ("C1", root["ts"])
    assert upload["initial_comment"] == "Here is the chart"

    shared = fake.thread("C1", root["ts"])[-1]
    assert shared["files"][0]["id"] == file_id and shared["text"] == "Here is the chart"
    info = client.files_info(file=file_id)["file"]
    assert info["title"] == "Revenue by month" and info["size"] == len(png)

    snippet = client.files_upload_v2(
        content="print('hi')\n",
        filename="code.py",
        snippet_type="python",
        channel="C1",
        thread_ts=root["ts"],
    )
    assert fake.uploads[1]["snippet_type"] == "python"
    assert client.files_info(file=snippet["file"]["id"])["file"]["filetype"] == "python"


def _get(url: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.headers.get_content_type(), response.read()


def test_private_downloads_need_the_bot_token(fake: FakeSlack) -> None:
    csv = b"city,sales\nBerlin,3\n"
    file = fake.add_file("sales.csv", csv)
    assert file["size"] == len(csv) and file["url_private_download"].startswith(fake.base)

    assert _get(file["url_private_download"], fake.bot_token) == (200, "text/csv", csv)
    assert _get(file["url_private"], fake.bot_token)[2] == csv
    # Without the token Slack answers with its sign-in page, not with an error status.
    status, ctype, body = _get(file["url_private_download"])
    assert (status, ctype) == (200, "text/html") and body.startswith(b"<!DOCTYPE html>")
    assert _get(file["url_private_download"], "xoxb-wrong")[1] == "text/html"
    assert [d["authorized"] for d in fake.downloads] == [True, True, False, False]


# -- Socket Mode ----------------------------------------------------------------------------


def test_socket_mode_delivers_events_and_times_acks(fake: FakeSlack, socket: Socket) -> None:
    fake.wait_for(lambda: socket.raw)
    hello = socket.raw[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert fake.calls_to("apps.connections.open")[0].token == fake.app_token

    event = fake.app_mention("plot a < b", channel="C9", user="U7")
    envelope_id = fake.send_event(event)
    latency = fake.wait_for_ack(envelope_id)
    assert 0 <= latency < 1 and fake.acks[envelope_id] == latency

    req = socket.request(envelope_id)
    assert req.type == "events_api" and req.retry_attempt == 0 and req.retry_reason == ""
    payload = req.payload
    assert payload["type"] == "event_callback" and payload["event_id"].startswith("Ev")
    assert payload["authorizations"][0] == {
        "enterprise_id": None,
        "team_id": fake.team_id,
        "user_id": fake.bot_user_id,
        "is_bot": True,
        "is_enterprise_install": False,
    }
    assert payload["event"]["text"] == "<@UBOT> plot a &lt; b"  # escaped as Slack does
    # The user's message is channel history now, so the bot can read its thread.
    assert fake.message("C9", event["ts"])["user"] == "U7"  # type: ignore[index]

    retry = fake.send_event(event, event_id=payload["event_id"], retry_num=1)
    fake.wait_for_ack(retry)
    again = socket.request(retry)
    assert again.payload["event_id"] == payload["event_id"]
    assert (again.retry_attempt, again.retry_reason) == (1, "timeout")
    assert len(fake.thread("C9", event["ts"])) == 1  # a redelivery is not a new message

    assert fake.pings >= 1  # the client's pings were answered


def test_slash_command_ack_payload_and_views(
    fake: FakeSlack, socket: Socket, client: WebClient
) -> None:
    socket.ack_payload = {"text": "Working on it"}
    envelope_id = fake.send_slash_command("/threadlab", "help", user="U3", channel="C2")
    fake.wait_for_ack(envelope_id)
    req = socket.request(envelope_id)
    assert req.type == "slash_commands" and req.accepts_response_payload
    assert (req.payload["command"], req.payload["text"]) == ("/threadlab", "help")
    assert fake.ack_payloads[envelope_id] == {"text": "Working on it"}
    assert fake.ephemerals[-1]["user"] == "U3" and fake.ephemerals[-1]["text"] == "Working on it"

    trigger = req.payload["trigger_id"]
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Code"},
        "blocks": [section("```print(1)```")],
    }
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(
            trigger_id=trigger, view={**modal, "title": {"type": "plain_text", "text": "t" * 25}}
        )
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    assert opened["id"].startswith("V") and fake.views_opened[0]["view"]["title"]["text"] == "Code"
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=trigger, view=modal)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id="made-up", view=modal)

    home = {"type": "home", "blocks": [section("run")] * 100}
    assert client.views_publish(user_id="U3", view=home)["ok"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U3", view={**home, "blocks": [section("run")] * 101})
    assert fake.views_published[0]["user_id"] == "U3"

    # response_url: Slack takes a JSON post and shows it to the user.
    request = urllib.request.Request(
        req.payload["response_url"],
        data=json.dumps({"text": "later"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert fake.ephemerals[-1]["text"] == "later"


def test_button_click_is_built_from_the_posted_message(
    fake: FakeSlack, socket: Socket, client: WebClient
) -> None:
    root = client.chat_postMessage(channel="C1", text="root")
    posted = client.chat_postMessage(
        channel="C1",
        thread_ts=root["ts"],
        text="Approve?",
        blocks=[section("Needs approval"), actions(button("Approve", "run-1", "approve"))],
    )
    envelope_id = fake.click_button("C1", posted["ts"], "approve", user="U5")
    fake.wait_for_ack(envelope_id)
    payload = socket.request(envelope_id).payload
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U5"
    assert payload["actions"][0]["value"] == "run-1"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C1",
        "is_ephemeral": False,
        "thread_ts": root["ts"],
    }
    assert payload["trigger_id"] and payload["message"]["ts"] == posted["ts"]
    with pytest.raises(LookupError):
        fake.click_button("C1", posted["ts"], "reject")


def test_dropped_socket_reconnects_through_apps_connections_open(
    fake: FakeSlack, socket: Socket
) -> None:
    assert fake.connections == 1
    fake.drop_socket()  # as a network failure: no warning first
    fake.wait_for(lambda: fake.connections == 2 and fake.connected.is_set(), timeout=5)
    assert len(fake.calls_to("apps.connections.open")) == 2
    fake.wait_for_ack(fake.send_event(fake.user_message("still there?")))

    fake.drop_socket(reason="refresh_requested")  # Slack's announced recycling
    fake.wait_for(lambda: fake.connections == 3 and fake.connected.is_set(), timeout=5)
    fake.wait_for_ack(fake.send_event(fake.user_message("and now?")))

    # An event sent while the app is between connections waits for the next one.
    fake.drop_socket()
    fake.wait_for_ack(fake.send_event(fake.user_message("held back")))
    assert fake.connections == 4


def test_chat_streaming(fake: FakeSlack, client: WebClient) -> None:
    root = client.chat_postMessage(channel="D1", text="question")
    started = client.chat_startStream(channel="D1", thread_ts=root["ts"], markdown_text="Step 1")
    client.chat_appendStream(channel="D1", ts=started["ts"], markdown_text=", step 2")
    stopped = client.chat_stopStream(channel="D1", ts=started["ts"], markdown_text=". Done.")
    assert stopped["message"]["text"] == "Step 1, step 2. Done."
    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        client.chat_appendStream(channel="D1", ts=started["ts"], markdown_text="late")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.chat_startStream(channel="C1", thread_ts=root["ts"], markdown_text="x")
    fake.streaming_enabled = False
    with pytest.raises(SlackApiError, match="feature_not_enabled"):
        client.chat_startStream(channel="D1", thread_ts=root["ts"])


def test_escape_text_keeps_slack_markup() -> None:
    assert escape_text("<@U1> if a<b & c>d see <https://x.io|x>") == (
        "<@U1> if a&lt;b &amp; c&gt;d see <https://x.io|x>"
    )


def test_bolt_app_through_socket_mode_handler(fake: FakeSlack) -> None:
    fake.echo_bot_messages = True  # bolt must drop the bot's own message events itself
    app = App(token=fake.bot_token, client=WebClient(token=fake.bot_token, base_url=fake.url))
    seen_messages: list[dict[str, Any]] = []
    replied = threading.Event()

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Any) -> None:
        say(text=f"you said: {event['text']}", thread_ts=event["ts"])
        replied.set()

    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        seen_messages.append(event)

    handler = SocketModeHandler(app, fake.app_token, ping_interval=PING_S)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        mention = fake.app_mention("hello")
        envelope_id = fake.send_event(mention)
        assert fake.wait_for_ack(envelope_id) < 3
        assert replied.wait(5)
        fake.wait_for(lambda: fake.bot_messages(thread_ts=mention["ts"]))
        reply = fake.bot_messages(thread_ts=mention["ts"])[0]
        assert reply["text"] == "you said: <@UBOT> hello"
        # The echo of the bot's reply was delivered and acked, but no handler saw it.
        fake.wait_for(lambda: len(fake.acks) == 2)
        assert seen_messages == []
        assert fake.calls_to("auth.test")  # bolt checked its token at start
    finally:
        fake.close_client(handler)
