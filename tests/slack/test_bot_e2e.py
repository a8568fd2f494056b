"""The Slack bot end to end: the real Bolt app and SocketModeHandler against a local
fake Slack (Web API, file hosting and the Socket Mode WebSocket on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.assembly import build_pipeline
from bot.settings import Settings
from handlers.slack.app import build_app, web_client
from handlers.slack.service import SlackService
from tests.fakes.slack_server import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SALES = (ROOT / "examples" / "sales_daily.csv").read_bytes()
APPROVER = "UAPPROVER"


class Bot:
    def __init__(self, fake: FakeSlack, service: SlackService) -> None:
        self.fake = fake
        self.service = service

    def answers(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Bot messages in the thread that carry the final answer (a Show code button)."""
        return [
            m
            for m in self.fake.bot_messages(channel, thread_ts)
            if "show_code" in str(m.get("blocks", ""))
        ]

    def wait_answers(self, channel: str, thread_ts: str, count: int = 1) -> list[dict[str, Any]]:
        self.fake.wait_for(lambda: len(self.answers(channel, thread_ts)) >= count, timeout=60)
        return self.answers(channel, thread_ts)

    def said(self, channel: str, thread_ts: str) -> str:
        return "\n".join(str(m.get("text", "")) for m in self.fake.bot_messages(channel, thread_ts))


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    with FakeSlack() as fake:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "data",
            db_path=tmp_path / "t.db",
            slack_bot_token=fake.bot_token,
            slack_app_token=fake.app_token,
            slack_api_url=fake.url,
            approvers=APPROVER,
            sandbox_workers=2,
        )
        pipeline = build_pipeline(settings)
        service = SlackService(settings, pipeline, web_client(settings, fake.bot_token))
        service.connect()
        app = build_app(settings, service)
        handler = SocketModeHandler(
            app, fake.app_token, web_client=web_client(settings, fake.app_token)
        )
        handler.connect()
        assert fake.connected.wait(10)
        try:
            yield Bot(fake, service)
        finally:
            fake.close_client(handler)
            service.close()
            pipeline.executor.close()  # type: ignore[attr-defined]


def _upload_and_ask(bot: Bot, question: str, channel: str = "C1") -> tuple[str, str]:
    """A mention with a file; returns (thread_ts, envelope_id)."""
    file = bot.fake.add_file("sales.csv", SALES)
    event = bot.fake.app_mention(question, channel=channel, files=[file])
    envelope = bot.fake.send_event(event)
    return str(event["ts"]), envelope


def test_upload_and_mention_answer_in_the_thread(bot: Bot) -> None:
    thread_ts, envelope = _upload_and_ask(bot, "total sales by region")
    assert bot.fake.wait_for_ack(envelope) < 3
    answer = bot.wait_answers("C1", thread_ts)[0]
    assert "region" in str(answer["blocks"]).lower()
    uploads = [u for u in bot.fake.uploads if u.get("thread_ts") == thread_ts]
    assert any(u["name"] == "analysis.py" for u in uploads)  # the code, as a snippet
    progress = bot.fake.bot_messages("C1", thread_ts)[0]
    assert len(bot.fake.edits[progress["ts"]]) > 1  # the progress message was kept current
    assert bot.fake.reactions  # the request was marked as received


def test_a_chart_is_uploaded_into_the_thread(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "monthly sales trend")
    bot.wait_answers("C1", thread_ts)
    names = [u["name"] for u in bot.fake.uploads if u.get("thread_ts") == thread_ts]
    assert any(name.endswith(".png") for name in names), names


def test_a_direct_message_gets_an_answer(bot: Bot) -> None:
    file = bot.fake.add_file("sales.csv", SALES)
    event = bot.fake.user_message("total sales by region", channel="D1", files=[file])
    bot.fake.send_event(event)
    bot.wait_answers("D1", str(event["ts"]))


def test_a_follow_up_uses_the_threads_file(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    bot.fake.send_event(bot.fake.app_mention("how many rows are there?", thread_ts=thread_ts))
    answers = bot.wait_answers("C1", thread_ts, count=2)
    assert "366" in str(answers[-1]["blocks"]) or "rows" in str(answers[-1]["blocks"]).lower()


def test_fenced_code_runs_on_the_threads_file(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    code = "```python\nprint('rows:', len(df))\n```"
    bot.fake.send_event(bot.fake.app_mention(code, thread_ts=thread_ts))
    answers = bot.wait_answers("C1", thread_ts, count=2)
    assert answers[-1]  # ran; the log carried its output into the progress message
    progress_versions = [v for vs in bot.fake.edits.values() for v in vs]
    assert any("rows:" in str(v.get("blocks", "")) for v in progress_versions)


def test_approval_non_approver_refused_approver_runs_once(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    code = "```python\nimport rich\nprint('approved run', len(df))\n```"
    bot.fake.send_event(bot.fake.app_mention(code, thread_ts=thread_ts))
    bot.fake.wait_for(
        lambda: any(
            "approve_run" in str(m.get("blocks", ""))
            for m in bot.fake.bot_messages("C1", thread_ts)
        )
    )
    held = next(
        m
        for m in bot.fake.bot_messages("C1", thread_ts)
        if "approve_run" in str(m.get("blocks", ""))
    )
    bot.fake.click_button("C1", held["ts"], "approve_run", user="U1")  # the requester, no right
    bot.fake.wait_for(lambda: any(e.get("user") == "U1" for e in bot.fake.ephemerals))
    bot.fake.click_button("C1", held["ts"], "approve_run", user=APPROVER)
    # A double click; the buttons may already be gone, replaced by the decision.
    with contextlib.suppress(LookupError):
        bot.fake.click_button("C1", held["ts"], "approve_run", user=APPROVER)
    bot.wait_answers("C1", thread_ts, count=2)
    time.sleep(1.0)  # room for a second run to show up, were the double click to cause one
    assert len(bot.answers("C1", thread_ts)) == 2  # the approved code ran exactly once
    decided = bot.fake.message("C1", held["ts"])
    assert decided is not None and APPROVER in str(decided.get("blocks", ""))


def test_reject_keeps_the_code_from_running(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    bot.fake.send_event(bot.fake.app_mention("```python\nimport rich\n```", thread_ts=thread_ts))
    bot.fake.wait_for(
        lambda: any(
            "reject_run" in str(m.get("blocks", "")) for m in bot.fake.bot_messages("C1", thread_ts)
        )
    )
    held = next(
        m
        for m in bot.fake.bot_messages("C1", thread_ts)
        if "reject_run" in str(m.get("blocks", ""))
    )
    bot.fake.click_button("C1", held["ts"], "reject_run", user=APPROVER)
    bot.fake.wait_for(lambda: "reject" in str(bot.fake.message("C1", held["ts"])).lower())
    assert len(bot.answers("C1", thread_ts)) == 1


def test_a_bad_file_gets_a_clear_message(bot: Bot) -> None:
    file = bot.fake.add_file(
        "report.pdf", b"%PDF-1.4 not a table", filetype="pdf", mimetype="application/pdf"
    )
    event = bot.fake.app_mention("what is in this?", files=[file])
    bot.fake.send_event(event)
    bot.fake.wait_for(lambda: ".pdf files are not supported" in bot.said("C1", str(event["ts"])))


def test_rate_limited_progress_still_delivers_the_answer(bot: Bot) -> None:
    bot.fake.rate_limit("chat.update", times=3, retry_after=1)
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    assert any(c.status == 429 for c in bot.fake.calls_to("chat.update"))


def test_an_event_delivered_twice_runs_once(bot: Bot) -> None:
    file = bot.fake.add_file("sales.csv", SALES)
    event = bot.fake.app_mention("total sales by region", files=[file])
    bot.fake.send_event(event, event_id="EvTwice")
    bot.fake.send_event(event, event_id="EvTwice", retry_num=1)
    bot.wait_answers("C1", str(event["ts"]))
    time.sleep(1.0)  # room for a second run to show up, were the redelivery to cause one
    assert len(bot.answers("C1", str(event["ts"]))) == 1


def test_another_channel_cannot_reach_the_threads_file(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    elsewhere = bot.fake.app_mention("total sales by region", channel="C2")
    bot.fake.send_event(elsewhere)
    bot.fake.wait_for(lambda: "Upload a CSV" in bot.said("C2", str(elsewhere["ts"])))
    assert bot.answers("C2", str(elsewhere["ts"])) == []


def test_slash_command_lists_the_channels_files(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    envelope = bot.fake.send_slash_command("/threadlab", "datasets", channel="C1")
    bot.fake.wait_for_ack(envelope)
    assert "sales.csv" in str(bot.fake.ack_payloads[envelope])


def test_the_bot_reconnects_after_a_dropped_socket(bot: Bot) -> None:
    bot.fake.drop_socket()
    bot.fake.wait_for(lambda: bot.fake.connections >= 2, timeout=15)
    thread_ts, envelope = _upload_and_ask(bot, "total sales by region")
    assert bot.fake.wait_for_ack(envelope, timeout=10) < 3
    bot.wait_answers("C1", thread_ts)


def test_fenced_code_keeps_the_characters_slack_escapes(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    code = "```python\nbig = df[df['sales'] > 0]\nprint('kept', len(big) > 0 and 1 < 2)\n```"
    bot.fake.send_event(bot.fake.app_mention(code, thread_ts=thread_ts))
    bot.wait_answers("C1", thread_ts, count=2)
    versions = [v for vs in bot.fake.edits.values() for v in vs]
    assert any("kept True" in str(v.get("blocks", "")) for v in versions)


def test_show_code_opens_a_modal_with_the_code(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    answer = bot.wait_answers("C1", thread_ts)[0]
    bot.fake.click_button("C1", answer["ts"], "show_code", user="U1")
    bot.fake.wait_for(lambda: bool(bot.fake.views_opened))
    view = bot.fake.views_opened[0]["view"]
    assert view["type"] == "modal" and "read_parquet" in str(view["blocks"])


def test_the_home_tab_lists_the_users_runs(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    bot.fake.send_event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home",
                         "event_ts": "1.0"})  # fmt: skip
    bot.fake.wait_for(lambda: bool(bot.fake.views_published))
    assert "total sales by region" in str(bot.fake.views_published[-1])


def test_forget_deletes_the_channels_files(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    path = Path(bot.service.store.thread_datasets(f"C1:{thread_ts}")[0]["path"])
    assert path.exists()
    envelope = bot.fake.send_slash_command("/threadlab", "forget", channel="C1")
    bot.fake.wait_for_ack(envelope)
    assert "Forgot 1 file" in str(bot.fake.ack_payloads[envelope])
    assert not path.exists() and bot.service.store.thread_datasets(f"C1:{thread_ts}") == []


def test_a_channel_outside_the_allow_list_is_refused(bot: Bot) -> None:
    bot.service.settings = bot.service.settings.model_copy(update={"allowed_channels": "C9"})
    event = bot.fake.app_mention("total sales by region", channel="C1")
    bot.fake.send_event(event)
    bot.fake.wait_for(lambda: any("not enabled" in str(e) for e in bot.fake.ephemerals))
    assert bot.fake.bot_messages("C1", str(event["ts"])) == []


def test_slash_rerun_replays_a_run_in_its_thread(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    first = bot.wait_answers("C1", thread_ts)[0]
    run_id = next(
        a["value"]
        for b in first["blocks"]
        for a in b.get("elements", [])
        if a.get("action_id") == "show_code"
    )
    elsewhere = bot.fake.send_slash_command("/threadlab", f"rerun {run_id}", channel="C2")
    bot.fake.wait_for_ack(elsewhere)
    assert "not happen in this channel" in str(bot.fake.ack_payloads[elsewhere])
    envelope = bot.fake.send_slash_command("/threadlab", f"rerun {run_id}", channel="C1")
    bot.fake.wait_for_ack(envelope)
    second = bot.wait_answers("C1", thread_ts, count=2)[-1]
    assert second["blocks"] != [] and run_id in str(bot.service.store.audit(limit=1)[0]["question"])


def test_http_mode_verifies_slacks_signature(tmp_path: Path) -> None:
    import hashlib
    import hmac
    import json
    import socket
    import threading
    import urllib.error
    import urllib.request

    from slack_bolt.app.app import SlackAppDevelopmentServer

    secret = "signing-secret-for-tests"
    with FakeSlack() as fake:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "data",
            db_path=tmp_path / "t.db",
            slack_bot_token=fake.bot_token,
            slack_api_url=fake.url,
            slack_mode="http",
            slack_signing_secret=secret,
        )
        pipeline = build_pipeline(settings)
        service = SlackService(settings, pipeline, web_client(settings, fake.bot_token))
        service.connect()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = SlackAppDevelopmentServer(port, "/slack/events", build_app(settings, service))
        threading.Thread(target=server.start, daemon=True).start()
        body = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()

        def post(signed: bool) -> tuple[int, bytes]:
            stamp = str(int(time.time()))
            signature = (
                "v0="
                + hmac.new(
                    (secret if signed else "wrong").encode(),
                    f"v0:{stamp}:{body.decode()}".encode(),
                    hashlib.sha256,
                ).hexdigest()
            )
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": signature,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        try:
            assert post(signed=False)[0] == 401
            status, answer = post(signed=True)
            assert status == 200 and b"c-123" in answer
        finally:
            server._server.shutdown()
            service.close()
            pipeline.executor.close()  # type: ignore[attr-defined]


def test_with_several_files_the_bot_asks_which_or_takes_the_one_named(bot: Bot) -> None:
    thread_ts, _ = _upload_and_ask(bot, "total sales by region")
    bot.wait_answers("C1", thread_ts)
    customers = (ROOT / "examples" / "customers.csv").read_bytes()
    second = bot.fake.add_file("customers.csv", customers)
    bot.fake.send_event(
        bot.fake.user_message("", channel="C1", thread_ts=thread_ts, files=[second])
    )
    bot.fake.wait_for(lambda: "Got customers.csv" in bot.said("C1", thread_ts))
    bot.fake.send_event(bot.fake.app_mention("how many rows?", thread_ts=thread_ts))
    bot.fake.wait_for(lambda: "which one?" in bot.said("C1", thread_ts))
    bot.fake.send_event(
        bot.fake.app_mention("count rows by city in customers", thread_ts=thread_ts)
    )
    answer = bot.wait_answers("C1", thread_ts, count=2)[-1]
    assert "city" in str(answer["blocks"]).lower()
