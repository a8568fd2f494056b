"""Prometheus metrics of the bot, and the small HTTP server that exposes them.

`Metrics` owns a private `CollectorRegistry` rather than prometheus_client's global one:
two pipelines in one process (tests, or a bot and a rerun tool) would otherwise clash on
metric names. `Metrics.serve` answers `/metrics`, `/healthz` (alive) and `/readyz`
(every readiness check true) on its own daemon thread, so a scrape never waits on Slack
or on an analysis.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from bot.pii.types import PiiType
from bot.reply import Outcome, OutcomeStatus
from bot.review.result import Status as PolicyStatus
from sandbox.result import RunStatus

log = logging.getLogger(__name__)

# Stages of `Pipeline.ask` as its Timer names them, plus the transport's reply. Other keys
# of `Outcome.timings` ("total", "llm") have metrics of their own or none, and a fixed
# set keeps the label's cardinality bounded whatever a future stage is called.
STAGES: Final = ("ingest", "plan", "codegen", "review", "run", "repair", "answer", "reply")
# A run that did not end by itself: every RunStatus but the two a program reaches alone.
KILL_REASONS: Final = tuple(s for s in get_args(RunStatus) if s not in ("ok", "error"))
# The review's verdicts, and "approved": held code that ran because someone approved it.
POLICY_OUTCOMES: Final = (*get_args(PolicyStatus), "approved")

# Analyses take from milliseconds (a cached ingest) to the sandbox's 300 s default limit.
_STAGE_BUCKETS: Final = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# A person answers an approval request within minutes, or hours later.
_APPROVAL_BUCKETS: Final = (10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 86400)
_LLM_BUCKETS: Final = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)

ReadyChecks = Callable[[], dict[str, bool]]


class Metrics:
    """Every metric of ThreadLab, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(
            "threadlab_runs", "Requests answered, by outcome status.", ["status"], registry=r
        )
        self.stage_seconds = Histogram(
            "threadlab_stage_seconds",
            "Seconds spent in each pipeline stage (a repaired run adds to its stage).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.sandbox_kills = Counter(
            "threadlab_sandbox_kills",
            "Sandbox runs stopped for breaking a limit, by reason.",
            ["reason"],
            registry=r,
        )
        self.policy_outcomes = Counter(
            "threadlab_policy_outcomes",
            "Code policy verdicts on the code a request ran or tried to run.",
            ["status"],
            registry=r,
        )
        self.approval_wait = Histogram(
            "threadlab_approval_wait_seconds",
            "Seconds held code waited for an approver's decision.",
            buckets=_APPROVAL_BUCKETS,
            registry=r,
        )
        self.pii_columns = Counter(
            "threadlab_pii_columns_masked",
            "Columns whose personal data was tokenised at ingest, by type.",
            ["pii_type"],
            registry=r,
        )
        self.pii_values = Counter(
            "threadlab_pii_values_masked",
            "Values (or free-text spans) replaced by tokens at ingest.",
            registry=r,
        )
        self.llm_tokens = Counter(
            "threadlab_llm_tokens",
            "LLM tokens, by direction (in: prompt, out: completion).",
            ["direction"],
            registry=r,
        )
        self.llm_seconds = Histogram(
            "threadlab_llm_seconds",
            "Seconds a request spent waiting on the LLM (all of its calls).",
            buckets=_LLM_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "threadlab_queue_depth", "Requests waiting for a free worker.", registry=r
        )
        self.active_sandboxes = Gauge(
            "threadlab_active_sandboxes", "Sandbox runs executing right now.", registry=r
        )
        # Every known label value starts at 0, so a dashboard's rate() and absent()
        # see the series before the first event of its kind.
        for status in get_args(OutcomeStatus):
            self.runs.labels(status=status)
        for stage in STAGES:
            self.stage_seconds.labels(stage=stage)
        for reason in KILL_REASONS:
            self.sandbox_kills.labels(reason=reason)
        for verdict in POLICY_OUTCOMES:
            self.policy_outcomes.labels(status=verdict)
        for pii_type in get_args(PiiType):
            self.pii_columns.labels(pii_type=pii_type)
        for direction in ("in", "out"):
            self.llm_tokens.labels(direction=direction)

    def observe_outcome(
        self,
        outcome: Outcome,
        sandbox_statuses: Sequence[RunStatus] = (),
        *,
        reply_seconds: float | None = None,
    ) -> None:
        """Counts one finished request. `sandbox_statuses`: the status of each sandbox
        run it made (a repaired request runs more than once); `reply_seconds`: the time
        the transport took to post the result, which the outcome's timings cannot hold."""
        self.runs.labels(status=outcome.status).inc()
        timings = dict(outcome.timings)
        if reply_seconds is not None:
            timings["reply"] = reply_seconds
        for stage in STAGES:
            if stage in timings:
                self.stage_seconds.labels(stage=stage).observe(timings[stage])
        for status in sandbox_statuses:
            if status in KILL_REASONS:
                self.sandbox_kills.labels(reason=status).inc()
        verdict = policy_outcome(outcome)
        if verdict is not None:
            self.policy_outcomes.labels(status=verdict).inc()
        for column in outcome.masked_columns:
            # A free-text column has no single type; its spans still count as values.
            if column.get("pii_type"):
                self.pii_columns.labels(pii_type=str(column["pii_type"])).inc()
            self.pii_values.inc(int(column.get("values_masked") or 0))
        if outcome.llm:
            self.llm_tokens.labels(direction="in").inc(int(outcome.llm.get("prompt_tokens", 0)))
            self.llm_tokens.labels(direction="out").inc(
                int(outcome.llm.get("completion_tokens", 0))
            )
            if outcome.llm.get("calls"):
                self.llm_seconds.observe(float(outcome.llm.get("seconds", 0.0)))

    def observe_approval(self, held_at: str, decided_at: str) -> None:
        """The wait of one decided approval, from the store's ISO timestamps."""
        waited = dt.datetime.fromisoformat(decided_at) - dt.datetime.fromisoformat(held_at)
        self.approval_wait.observe(max(waited.total_seconds(), 0.0))

    def serve(self, port: int, ready: ReadyChecks, host: str = "127.0.0.1") -> MetricsServer:
        """Starts the HTTP endpoint on a daemon thread; port 0 picks a free port."""
        return MetricsServer(self, host, port, ready)


def policy_outcome(outcome: Outcome) -> str | None:
    """The code policy's verdict behind an outcome; None when no code was reviewed (an
    ingest error, or a question the planner did not understand)."""
    if outcome.status in ("blocked", "needs_approval"):
        return outcome.status
    if "review" not in outcome.timings:
        return None
    # Code with findings that still ran was held and then approved: findings are only
    # ever "needs_approval" or "blocked", and blocked code never runs.
    return "approved" if outcome.findings else "ok"


class MetricsServer:
    """`/metrics`, `/healthz` and `/readyz` on a threaded HTTP server."""

    def __init__(self, metrics: Metrics, host: str, port: int, ready: ReadyChecks) -> None:
        handler = type("Handler", (_Handler,), {"metrics": metrics, "ready": staticmethod(ready)})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True  # a stuck scraper never blocks shutdown
        self.host = host
        self.port: int = self._server.server_address[1]  # the bound port, when 0 was asked
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="threadlab-metrics", daemon=True
        )
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", host, self.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    metrics: Metrics
    ready: ReadyChecks

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, encoder(self.metrics.registry), content_type)
        elif path == "/healthz":
            # Answering at all is the proof: the process and its event loop are alive.
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            checks = self._checks()
            failing = sorted(name for name, ok in checks.items() if not ok)
            body: dict[str, Any] = {"ready": not failing, "checks": checks}
            if failing:
                body["failing"] = failing
            data = json.dumps(body).encode() + b"\n"
            self._send(503 if failing else 200, data, "application/json")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _checks(self) -> dict[str, bool]:
        try:
            return {name: bool(ok) for name, ok in type(self).ready().items()}
        except Exception:  # a broken check means not ready, never a crashed probe
            log.exception("a readiness check failed")
            return {"ready_checks": False}

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Not stderr, as BaseHTTPRequestHandler does: a scrape every 15 s is noise.
        log.debug("%s " + format, self.address_string(), *args)


def sqlite_writable(path: Path, timeout_s: float = 2.0) -> bool:
    """True when the database at `path` takes a committed write right now.

    A committed one-row write to a scratch table, on a connection of its own: a read-only
    file or directory, a full disk (WAL frames are written at commit) or a lock held past
    `timeout_s` all fail it, where a read or a rolled-back write would pass.
    """
    try:
        con = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        con.execute(
            "create table if not exists readiness_probe "
            "(id integer primary key check (id = 1), checked_at text)"
        )
        con.execute(
            "insert or replace into readiness_probe (id, checked_at) values (1, ?)",
            [dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
        )
        return True
    except sqlite3.Error as exc:
        log.warning("the store is not writable: %s", exc)
        return False
    finally:
        con.close()
