"""Large tables through the whole pipeline: the engine is chosen by row count, both
engines answer the same, and running out of memory is reported as such, with what to
change. Real store, ingest, rules planner and sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from bot.models import AnswerStep, Dataset, LoadStep, Plan, PythonStep, Request, Turn
from bot.pipeline import Pipeline
from bot.planner.rules import RulesPlanner
from bot.reply import Outcome
from bot.settings import Settings
from bot.store import Store
from sandbox.events import Event
from sandbox.sandbox_executor import SandboxExecutor

TRANSACTIONS = Path(__file__).resolve().parents[1] / "examples" / "transactions.csv"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def dataset(self, dataset: Dataset) -> None: ...
    def plan(self, plan: Plan) -> None: ...
    def code(self, code: str) -> None: ...
    def finish(self, outcome: Outcome) -> None: ...

    def event(self, event: Event) -> None:
        self.events.append(event)

    def log(self) -> str:
        return "\n".join(str(e.data.get("text", "")) for e in self.events if e.type == "log")


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", db_path=tmp_path / "t.db", pii_tokenise=False, **overrides
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> SandboxExecutor:
    return SandboxExecutor(tmp_path_factory.mktemp("work"))


def _ask(settings: Settings, sandbox: SandboxExecutor, question: str) -> tuple[Outcome, str]:
    pipeline = Pipeline(settings, Store(settings.db_path), sandbox, RulesPlanner())
    reply = Recorder()
    outcome = pipeline.ask(Request(data=TRANSACTIONS, question=question), reply)
    return outcome, reply.log()


def _segments(outcome: Outcome) -> pd.DataFrame:
    table = next(t for t in outcome.tables if t.name.endswith("_segments"))
    assert table.csv_path is not None
    return pd.read_csv(table.csv_path)


@pytest.mark.parametrize(
    "question", ["RFM segmentation", "monthly sales trend", "top 5 categories by amount"]
)
def test_a_large_table_runs_in_duckdb_and_answers_as_pandas_does(
    question: str, tmp_path: Path, sandbox: SandboxExecutor
) -> None:
    by_pandas, pandas_log = _ask(_settings(tmp_path / "p"), sandbox, question)
    by_duckdb, duckdb_log = _ask(_settings(tmp_path / "d", duckdb_min_rows=1), sandbox, question)
    assert by_pandas.status == by_duckdb.status == "ok", by_duckdb.message
    assert "tl.duckdb_connect()" in by_duckdb.code and "duckdb" not in by_pandas.code
    assert "runs in DuckDB" in duckdb_log and "runs in DuckDB" not in pandas_log
    assert by_duckdb.answer == by_pandas.answer
    assert by_duckdb.sandbox["status"] == "ok" and by_duckdb.sandbox["peak_memory_bytes"] > 0
    assert [t.name for t in by_duckdb.tables] == [t.name for t in by_pandas.tables]
    for ours, theirs in zip(by_duckdb.tables, by_pandas.tables, strict=True):
        assert ours.total_rows == theirs.total_rows
        # Equal up to float rounding: DuckDB and pandas add in different orders
        # (145.42 against 145.42000000000002).
        pd.testing.assert_frame_equal(
            pd.DataFrame(ours.rows, columns=ours.columns),
            pd.DataFrame(theirs.rows, columns=theirs.columns),
            rtol=1e-12,
        )
    if question.startswith("RFM"):
        pd.testing.assert_frame_equal(_segments(by_duckdb), _segments(by_pandas))


class Hungry:
    """Plans code that needs more memory than the run is given."""

    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan:
        code = "block = bytearray(512 * 1024 * 1024)\nblock[::4096] = b'x' * len(block[::4096])"
        return Plan(
            question=question,
            language="en",
            dataset=dataset.name,
            summary="too much",
            steps=[LoadStep(), PythonStep(code=code), AnswerStep(template="{rows_loaded}")],
        )


def test_running_out_of_memory_is_reported_as_such_with_what_to_change(
    tmp_path: Path, sandbox: SandboxExecutor
) -> None:
    settings = _settings(tmp_path, sandbox_memory_mb=256)
    pipeline = Pipeline(settings, Store(settings.db_path), sandbox, Hungry())
    outcome = pipeline.ask(Request(data=TRANSACTIONS, question="q"), Recorder())
    assert outcome.status == "error"
    assert "(out_of_memory): ran out of memory at the 256 MB limit" in outcome.message
    assert "THREADLAB_DUCKDB_MIN_ROWS" in outcome.message
    assert outcome.sandbox["status"] == "out_of_memory"
    assert pipeline.store.get_run(outcome.run_id)["status"] == "error"
