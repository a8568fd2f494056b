"""Logs carry run and thread ids and never a secret, a token or raw PII: the filter on
its own, then the real `threadlab ask` on a file full of personal data."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bot import logs
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = ROOT / "examples" / "customers.csv"
THREADLAB = Path(sys.executable).with_name("threadlab")

BOT_TOKEN = "xoxb-1234567890-0987654321-FaKeBoTtOkEnVaLuE"
APP_TOKEN = "xapp-1-A0FAKE-1234567890-f4k3ap9t0k3n"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # no token shape: only the setting
OPENAI_KEY = "sk-proj-FaKeKeY0123456789abcdef"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure() changes the root logger: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def capture(log_format: str = "json", **secrets: str) -> io.StringIO:
    stream = io.StringIO()
    settings = Settings(_env_file=None, log_format=log_format, **secrets)  # type: ignore[call-arg, arg-type]
    logs.configure(settings, stream=stream)
    return stream


def test_secrets_tokens_and_pii_are_redacted(root_logging: None) -> None:
    stream = capture(slack_signing_secret=SIGNING_SECRET)
    log = logging.getLogger("threadlab.test")
    log.info("signing secret %s, bot %s", SIGNING_SECRET, BOT_TOKEN)
    log.warning("app %s key %s header Bearer abcdefgh12345678", APP_TOKEN, OPENAI_KEY)
    log.info("call 13812345678 or mail li.lei@example.com, ID 310115200712152934")
    try:
        raise ValueError(f"bad row: 13812345678 {BOT_TOKEN}")
    except ValueError:
        log.exception("failed on %s", "310115200712152934")
    text = stream.getvalue()
    for raw in (SIGNING_SECRET, BOT_TOKEN, APP_TOKEN, OPENAI_KEY, "abcdefgh12345678"):
        assert raw not in text
    for raw in ("13812345678", "li.lei@example.com", "310115200712152934"):
        assert raw not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert entries[0]["message"] == "signing secret [redacted], bot [redacted]"
    assert entries[2]["message"] == "call [phone] or mail [email], ID [id_card]"
    assert "ValueError: bad row: [phone] [redacted]" in entries[3]["exc"]
    assert entries[3]["message"] == "failed on [id_card]"


def test_ordinary_words_are_left_alone(root_logging: None) -> None:
    stream = capture()
    log = logging.getLogger("t")
    log.info("task-12345678 on %s, 100%% done, 2025-06-01", "disk-usage-report")
    log.info("listening on 127.0.0.1:9464 and 0.0.0.0; request from 203.0.113.7")
    first, second = (json.loads(line)["message"] for line in stream.getvalue().splitlines())
    assert first == "task-12345678 on disk-usage-report, 100% done, 2025-06-01"
    # The bot's own loopback and "any" addresses stay; a client's address is masked.
    assert second == "listening on 127.0.0.1:9464 and 0.0.0.0; request from [ip]"


def test_context_tags_json_and_text(root_logging: None) -> None:
    stream = capture()
    log = logging.getLogger("t")
    with logs.log_context(run_id="abc123", thread="C1:171.5"):
        log.info("inside")
    log.info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["run_id"] == "abc123" and inside["thread"] == "C1:171.5"
    assert {"time", "level", "logger", "message"} <= set(inside)
    assert "run_id" not in outside and "thread" not in outside

    stream = capture("text")
    with logs.log_context(run_id="abc123"):
        log.info("inside")
    assert stream.getvalue().rstrip().endswith("t: inside [run_id=abc123]")


def test_configure_replaces_its_own_handler_only(root_logging: None) -> None:
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    first, second = capture(), capture()
    logging.getLogger("t").warning("once")
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["message"] == "once"
    assert other in logging.getLogger().handlers


def test_a_bad_format_string_does_not_raise(root_logging: None) -> None:
    stream = io.StringIO()
    settings = Settings(_env_file=None, log_format="json")  # type: ignore[call-arg]
    handler = logs.configure(settings, stream=stream)
    # Straight to our handler: pytest's own capture handler raises on such a record.
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%d rows", ("many",), None)
    handler.handle(record)
    assert json.loads(stream.getvalue())["message"] == "%d rows ('many',)"


def test_ask_on_a_pii_file_logs_no_pii_and_no_token(tmp_path: Path) -> None:
    frame = pd.read_csv(CUSTOMERS, dtype=str)
    first = frame.iloc[0]
    # Worst case: a person pastes personal data and credentials into the question.
    question = (
        f"total spend by city; customer {first['phone']} {first['email']} "
        f"{first['id_number']} token {BOT_TOKEN} secret {SIGNING_SECRET}"
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_", "SLACK_"))
    }
    env.update(
        THREADLAB_DATA_DIR=str(tmp_path / "data"),
        THREADLAB_DB_PATH=str(tmp_path / "t.db"),
        THREADLAB_PLANNER="rules",
        THREADLAB_LOG_FORMAT="json",
        THREADLAB_LOG_LEVEL="DEBUG",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OPENAI_API_KEY=OPENAI_KEY,
    )
    # No --json: the live view (which shows restored values to the person who asked)
    # goes to stdout, so stderr holds the log alone.
    proc = subprocess.run(
        [str(THREADLAB), "ask", str(CUSTOMERS), question, "--thread", "C1:171.5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = proc.stderr
    for raw in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, OPENAI_KEY):
        assert raw not in log
    for column in ("phone", "email", "id_number"):
        leaked = [value for value in frame[column].dropna() if value in log]
        assert not leaked, f"{column} values in the log: {leaked[:3]}"

    entries = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    match = re.search(r"run ([0-9a-f]{12}) ·", proc.stdout)
    assert match, proc.stdout
    mine = [e for e in entries if e.get("run_id") == match.group(1)]
    assert [e["message"] for e in mine if e["logger"] == "bot.pipeline"] == [
        "run started: total spend by city; customer [phone] [email] [id_card] "
        "token [redacted] secret [redacted]",
        mine[-1]["message"],
    ]
    assert mine[-1]["message"].startswith("run finished: ok in ")
    assert all(e["thread"] == "C1:171.5" for e in mine)
