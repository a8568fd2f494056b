"""Metrics end to end: a real pipeline (ingest, rules planner, sandbox) answers a
question, and a scrape of /metrics over HTTP sees it; /readyz follows a real Slack
service (against the fake Slack) and a real sandbox executor."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.assembly import build_pipeline
from bot.metrics import Metrics
from bot.models import Dataset, Plan, Request
from bot.pipeline import Pipeline
from bot.reply import Outcome
from bot.settings import Settings
from handlers.slack.app import readiness, start_metrics, web_client
from handlers.slack.service import SlackService
from sandbox.events import Event
from sandbox.sandbox_executor import SandboxExecutor
from tests.fakes.slack_server import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SALES = ROOT / "examples" / "sales_daily.csv"


class Quiet:
    """A Reply that keeps only the outcome."""

    outcome: Outcome | None = None

    def dataset(self, dataset: Dataset) -> None: ...
    def plan(self, plan: Plan) -> None: ...
    def code(self, code: str) -> None: ...
    def event(self, event: Event) -> None: ...

    def finish(self, outcome: Outcome) -> None:
        self.outcome = outcome


def settings_in(tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        db_path=tmp_path / "t.db",
        planner="rules",
        **extra,  # type: ignore[arg-type]
    )


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def readyz(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[tuple[Pipeline, Metrics]]:
    metrics = Metrics()
    built = build_pipeline(settings_in(tmp_path), metrics)
    try:
        yield built, metrics
    finally:
        built.executor.close()  # type: ignore[attr-defined]


def test_a_run_moves_the_counters_of_a_scrape(pipeline: tuple[Pipeline, Metrics]) -> None:
    built, metrics = pipeline
    reply = Quiet()
    outcome = built.ask(Request(data=SALES, question="total sales by region"), reply)
    assert outcome.ok, outcome.message
    with metrics.serve(0, lambda: {}) as server:
        got = scrape(server.url)
    assert got[("threadlab_runs_total", (("status", "ok"),))] == 1
    assert got[("threadlab_runs_total", (("status", "error"),))] == 0
    for stage in ("ingest", "plan", "codegen", "review", "run", "reply"):
        assert got[("threadlab_stage_seconds_count", (("stage", stage),))] == 1, stage
    assert got[("threadlab_stage_seconds_sum", (("stage", "run"),))] > 0
    assert got[("threadlab_stage_seconds_count", (("stage", "repair"),))] == 0
    assert got[("threadlab_policy_outcomes_total", (("status", "ok"),))] == 1
    assert sum(v for (name, _), v in got.items() if name == "threadlab_sandbox_kills_total") == 0


def test_a_sandbox_kill_is_counted(pipeline: tuple[Pipeline, Metrics]) -> None:
    built, metrics = pipeline
    # The user's own code, through the same path as a plan's: a run over its time limit.
    built.settings.sandbox_timeout_s = 1
    request = Request(data=SALES, question="spin", code="while True:\n    pass\n")
    outcome = built.ask(request, Quiet())
    assert outcome.status == "error"
    with metrics.serve(0, lambda: {}) as server:
        got = scrape(server.url)
    assert got[("threadlab_sandbox_kills_total", (("reason", "timeout"),))] == 1
    assert got[("threadlab_runs_total", (("status", "error"),))] == 1


def test_readiness_follows_slack_and_the_sandbox(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        settings = settings_in(
            tmp_path,
            slack_bot_token=fake.bot_token,
            slack_api_url=fake.url,
            metrics_port=0,  # start_metrics feeds the gauges but starts no server
        )
        metrics = Metrics()
        built = build_pipeline(settings, metrics)
        service = SlackService(settings, built, web_client(settings, fake.bot_token))
        executor = built.executor
        assert isinstance(executor, SandboxExecutor)
        assert start_metrics(settings, metrics, service) is None
        try:
            with metrics.serve(0, readiness(service)) as server:
                code, body = readyz(server.url)
                assert code == 503
                assert body["failing"] == ["executor_warm", "slack_connected"]
                service.connect()
                executor.warm()
                assert readyz(server.url) == (
                    200,
                    {
                        "ready": True,
                        "checks": {
                            "slack_connected": True,
                            "executor_warm": True,
                            "store_writable": True,
                        },
                    },
                )
                got = scrape(server.url)
                assert got[("threadlab_queue_depth", ())] == 0
                assert got[("threadlab_active_sandboxes", ())] == 0
                executor.close()  # the zygote is gone: not ready until it is back
                assert readyz(server.url)[1]["failing"] == ["executor_warm"]
        finally:
            service.close()
            executor.close()


def test_readiness_waits_for_the_socket(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    built = build_pipeline(settings)
    service = SlackService(settings, built, web_client(settings, "xoxb-unused"))
    service.bot_user_id = "UBOT"  # as after connect()
    try:
        checks = readiness(service, socket_open=lambda: False)()
        assert checks["slack_connected"] is False
        assert readiness(service)()["slack_connected"] is True
    finally:
        service.close()
