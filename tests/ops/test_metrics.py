"""`Metrics` on its own: an outcome in, the counters of the Prometheus text format out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, policy_outcome, sqlite_writable
from bot.reply import Outcome


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def outcome(**fields: object) -> Outcome:
    base: dict[str, object] = {"status": "ok", "run_id": "r1", "question": "q"}
    return Outcome(**{**base, **fields})  # type: ignore[arg-type]


def test_known_series_start_at_zero() -> None:
    got = samples(Metrics())
    assert got[("threadlab_runs_total", (("status", "ok"),))] == 0
    assert got[("threadlab_sandbox_kills_total", (("reason", "out_of_memory"),))] == 0
    assert got[("threadlab_stage_seconds_count", (("stage", "reply"),))] == 0
    assert got[("threadlab_queue_depth", ())] == 0


def test_observe_outcome_moves_every_counter() -> None:
    metrics = Metrics()
    done = outcome(
        timings={"ingest": 0.2, "plan": 0.01, "review": 0.003, "run": 1.5, "total": 2.0},
        masked_columns=[
            {"column": "phone", "pii_type": "phone", "values_masked": 100},
            {"column": "notes", "pii_type": None, "free_text": True, "values_masked": 7},
        ],
        llm={"calls": 2, "prompt_tokens": 1200, "completion_tokens": 300, "seconds": 3.5},
    )
    metrics.observe_outcome(done, ["timeout", "ok"], reply_seconds=0.4)
    got = samples(metrics)
    assert got[("threadlab_runs_total", (("status", "ok"),))] == 1
    assert got[("threadlab_stage_seconds_count", (("stage", "run"),))] == 1
    assert got[("threadlab_stage_seconds_sum", (("stage", "run"),))] == 1.5
    assert got[("threadlab_stage_seconds_sum", (("stage", "reply"),))] == 0.4
    assert got[("threadlab_stage_seconds_count", (("stage", "codegen"),))] == 0  # did not run
    assert ("threadlab_stage_seconds_count", (("stage", "total"),)) not in got
    assert got[("threadlab_sandbox_kills_total", (("reason", "timeout"),))] == 1
    assert got[("threadlab_policy_outcomes_total", (("status", "ok"),))] == 1
    assert got[("threadlab_pii_columns_masked_total", (("pii_type", "phone"),))] == 1
    assert got[("threadlab_pii_values_masked_total", ())] == 107
    assert got[("threadlab_llm_tokens_total", (("direction", "in"),))] == 1200
    assert got[("threadlab_llm_tokens_total", (("direction", "out"),))] == 300
    assert got[("threadlab_llm_seconds_sum", ())] == 3.5


def test_policy_outcome_of_each_kind_of_request() -> None:
    assert policy_outcome(outcome(status="blocked")) == "blocked"
    assert policy_outcome(outcome(status="needs_approval")) == "needs_approval"
    assert policy_outcome(outcome(timings={"review": 0.1})) == "ok"
    approved = outcome(timings={"review": 0.1}, findings=[{"line": 1, "rule": "import"}])
    assert policy_outcome(approved) == "approved"
    assert policy_outcome(outcome(status="error", timings={"ingest": 0.1})) is None


def test_approval_wait_and_gauges() -> None:
    metrics = Metrics()
    metrics.observe_approval("2025-06-01T10:00:00+00:00", "2025-06-01T10:02:30+00:00")
    metrics.queue_depth.set_function(lambda: 3)
    got = samples(metrics)
    assert got[("threadlab_approval_wait_seconds_sum", ())] == 150
    assert got[("threadlab_queue_depth", ())] == 3


def test_two_instances_do_not_clash() -> None:
    first, second = Metrics(), Metrics()
    first.observe_outcome(outcome())
    assert samples(first)[("threadlab_runs_total", (("status", "ok"),))] == 1
    assert samples(second)[("threadlab_runs_total", (("status", "ok"),))] == 0


def test_sqlite_writable(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert sqlite_writable(db)
    assert sqlite_writable(db)  # the probe's row is replaced, not added
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from readiness_probe").fetchone() == (1,)
    # A writer that holds the lock past the probe's timeout: not writable now. (A
    # read-only file would do too, but root, as in a container, may write it anyway.)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("begin exclusive")
    try:
        assert not sqlite_writable(db, timeout_s=0.1)
    finally:
        holder.execute("rollback")
        holder.close()
    assert sqlite_writable(db)
    assert not sqlite_writable(tmp_path / "missing" / "t.db")
