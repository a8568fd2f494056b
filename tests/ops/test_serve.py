"""`threadlab serve` as an operator runs it: a subprocess against the fake Slack, its
metrics endpoint polled until ready, its JSON log free of the tokens it was given."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.store import Store
from tests.fakes.slack_server import FakeSlack

THREADLAB = Path(sys.executable).with_name("threadlab")
BOT_TOKEN = "xoxb-2222222222-3333333333-ServeTestBotToken"
APP_TOKEN = "xapp-1-A0SERVE-4444444444-servetestapptoken"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def readyz(url: str) -> tuple[int, dict[str, object]] | None:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return None  # not listening yet


def test_serve_becomes_ready_and_logs_no_token(tmp_path: Path) -> None:
    fake = FakeSlack()
    fake.bot_token, fake.app_token = BOT_TOKEN, APP_TOKEN
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_", "SLACK_"))
    }
    env.update(
        THREADLAB_DATA_DIR=str(tmp_path / "data"),
        THREADLAB_DB_PATH=str(tmp_path / "t.db"),
        THREADLAB_PLANNER="rules",
        THREADLAB_METRICS_PORT=str(port),
        THREADLAB_LOG_FORMAT="json",
        THREADLAB_LOG_LEVEL="DEBUG",  # slack_sdk's request logs included
        THREADLAB_SANDBOX_WORKERS="1",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    # A run the previous process left unfinished: the restart must say so in its thread.
    left = Store(tmp_path / "t.db").start_run("total sales by region", None, "C1:100.5", "U1")
    with fake:
        env["SLACK_API_URL"] = fake.url
        proc = subprocess.Popen(
            [str(THREADLAB), "serve"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            answer = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                answer = readyz(url)
                if answer is not None and answer[0] == 200:
                    break
                time.sleep(0.2)
            assert answer is not None and answer[0] == 200, answer
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                assert response.read() == b"ok\n"
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
                assert b'threadlab_runs_total{status="ok"} 0.0' in response.read()
            fake.wait_for(lambda: "interrupted" in str(fake.bot_messages("C1", "100.5")))
            assert Store(tmp_path / "t.db").get_run(left)["status"] == "interrupted"
        finally:
            proc.send_signal(signal.SIGTERM)  # drains and exits like Ctrl-C
            try:
                _, log = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, log = proc.communicate()
    assert proc.returncode == 0, log[-2000:]
    assert BOT_TOKEN not in log and APP_TOKEN not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(e["message"].startswith("metrics on http://127.0.0.1:") for e in entries)
    assert any(e["logger"].startswith("slack_sdk") for e in entries)  # DEBUG reached us
