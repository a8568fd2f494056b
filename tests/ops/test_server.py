"""The metrics endpoint over real HTTP on a free port: /metrics, /healthz, /readyz."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.metrics import Metrics, MetricsServer
from bot.reply import Outcome

CHECKS = {"slack_connected": True, "executor_warm": True, "store_writable": True}


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body; error statuses are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture
def served() -> Iterator[tuple[Metrics, MetricsServer, dict[str, bool]]]:
    metrics = Metrics()
    checks = dict(CHECKS)
    with metrics.serve(0, lambda: checks) as server:
        yield metrics, server, checks


def test_binds_a_free_port(served: tuple[Metrics, MetricsServer, dict[str, bool]]) -> None:
    _, server, _ = served
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_metrics_in_prometheus_text_format(
    served: tuple[Metrics, MetricsServer, dict[str, bool]],
) -> None:
    metrics, server, _ = served
    metrics.observe_outcome(Outcome(status="error", run_id="r", question="q"))
    code, content_type, body = get(f"{server.url}/metrics")
    assert code == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    assert 'threadlab_runs_total{status="error"} 1.0' in body
    assert "# TYPE threadlab_stage_seconds histogram" in body


def test_healthz(served: tuple[Metrics, MetricsServer, dict[str, bool]]) -> None:
    _, server, checks = served
    checks["executor_warm"] = False  # alive is not ready: liveness ignores readiness
    assert get(f"{server.url}/healthz")[::2] == (200, "ok\n")


def test_readyz_ready(served: tuple[Metrics, MetricsServer, dict[str, bool]]) -> None:
    _, server, _ = served
    code, content_type, body = get(f"{server.url}/readyz")
    assert (code, content_type) == (200, "application/json")
    assert json.loads(body) == {"ready": True, "checks": CHECKS}


def test_readyz_names_the_failing_checks(
    served: tuple[Metrics, MetricsServer, dict[str, bool]],
) -> None:
    _, server, checks = served
    checks["executor_warm"] = checks["store_writable"] = False
    code, _, body = get(f"{server.url}/readyz")
    assert code == 503
    assert json.loads(body)["failing"] == ["executor_warm", "store_writable"]
    checks["executor_warm"] = checks["store_writable"] = True
    assert get(f"{server.url}/readyz")[0] == 200  # asked again at each probe


def test_a_check_that_raises_is_not_ready() -> None:
    def broken() -> dict[str, bool]:
        raise RuntimeError("database is locked")

    with Metrics().serve(0, broken) as server:
        code, _, body = get(f"{server.url}/readyz")
    assert code == 503
    assert json.loads(body)["failing"] == ["ready_checks"]


def test_unknown_path(served: tuple[Metrics, MetricsServer, dict[str, bool]]) -> None:
    assert get(f"{served[1].url}/nope")[0] == 404
