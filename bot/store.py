"""The run record: datasets and runs in SQLite, schema managed by sqlite-utils migrations."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from bot.errors import StoreError
from bot.models import Dataset

migrations = Migrations("threadlab")


@migrations()
def create_datasets_and_runs(db: sqlite_utils.Database) -> None:
    db["datasets"].create(  # type: ignore[union-attr]
        {
            "id": str,
            "name": str,
            "source_path": str,
            "cache_path": str,
            "format": str,
            "size_bytes": int,
            "rows": int,
            "columns": int,
            "profile": str,
            "created_at": str,
        },
        pk="id",
    )
    db["runs"].create(  # type: ignore[union-attr]
        {
            "id": str,
            "created_at": str,
            "finished_at": str,
            "question": str,
            "dataset_id": str,
            "planner": str,
            "plan": str,
            "code": str,
            "status": str,
            "message": str,
            "answer": str,
            "timings": str,
            "artifacts": str,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id")],
    )
    db["runs"].create_index(["created_at"])  # type: ignore[union-attr]


@migrations()
def create_pii_values(db: sqlite_utils.Database) -> None:
    # The token map: the only place raw personal values live after ingest. Keyed by
    # dataset so a thread can restore (and the LLM boundary can check) its own values.
    db["pii_values"].create(  # type: ignore[union-attr]
        {"dataset_id": str, "token": str, "pii_type": str, "value": str},
        pk=("dataset_id", "token"),
    )


@migrations()
def add_threads_and_llm_calls(db: sqlite_utils.Database) -> None:
    db["runs"].add_column("thread", str)  # type: ignore[union-attr]
    db["runs"].add_column("llm", str)  # type: ignore[union-attr]  # usage summary, JSON
    db["runs"].create_index(["thread", "created_at"])  # type: ignore[union-attr]
    # Every prompt and response, masked as sent: for debugging a plan or an answer.
    db["llm_calls"].create(  # type: ignore[union-attr]
        {
            "run_id": str,
            "seq": int,
            "purpose": str,
            "model": str,
            "mode": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "latency_s": float,
            "messages": str,
            "response": str,
            "error": str,
        },
        pk=("run_id", "seq"),
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """A real SQLite file. One instance per process; each call is its own transaction."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(path)
            # WAL keeps readers (`threadlab history`) from blocking a running analysis.
            self.db.execute("PRAGMA journal_mode=WAL")
            migrations.apply(self.db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}") from exc

    def save_dataset(self, dataset: Dataset) -> None:
        self.db["datasets"].upsert(  # type: ignore[union-attr]
            {
                "id": dataset.id,
                "name": dataset.name,
                "source_path": dataset.source_path,
                "cache_path": dataset.cache_path,
                "format": dataset.format,
                "size_bytes": dataset.size_bytes,
                "rows": dataset.profile.rows,
                "columns": len(dataset.profile.columns),
                "profile": dataset.profile.model_dump_json(),
                "created_at": _now(),
            },
            pk="id",
        )

    def save_tokens(self, dataset_id: str, tokens: dict[str, tuple[str, str]]) -> None:
        """Stores a dataset's token map (token -> (type, raw value))."""
        rows = (
            {"dataset_id": dataset_id, "token": t, "pii_type": kind, "value": value}
            for t, (kind, value) in tokens.items()
        )
        with self.db.conn:
            self.db["pii_values"].upsert_all(rows, pk=("dataset_id", "token"), batch_size=5000)  # type: ignore[union-attr]

    def tokens(self, dataset_id: str) -> dict[str, str]:
        """token -> raw value for one dataset (empty if it had no personal data)."""
        rows = self.db.execute(
            "select token, value from pii_values where dataset_id = ?", [dataset_id]
        ).fetchall()
        return {token: value for token, value in rows}

    def save_llm_calls(self, run_id: str, calls: list[dict[str, Any]]) -> None:
        rows = [
            {**call, "run_id": run_id, "seq": seq, "messages": json.dumps(call["messages"])}
            for seq, call in enumerate(calls)
        ]
        if rows:
            self.db["llm_calls"].insert_all(rows, pk=("run_id", "seq"), replace=True)  # type: ignore[union-attr]

    def llm_calls(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db["llm_calls"].rows_where("run_id = ?", [run_id], order_by="seq")
        return [{**row, "messages": json.loads(row["messages"])} for row in rows]

    def thread_turns(self, thread: str, before_run: str, limit: int = 5) -> list[dict[str, Any]]:
        """The latest finished runs of a thread, oldest first, without `before_run`."""
        rows = self.db.execute(
            "select id, question, plan, answer, message, status from runs "
            "where thread = ? and id != ? and status in ('ok', 'error') "
            "order by created_at desc, rowid desc limit ?",
            [thread, before_run, limit],
        ).fetchall()
        keys = ("id", "question", "plan", "answer", "message", "status")
        return [dict(zip(keys, row, strict=True)) for row in reversed(rows)]

    def start_run(self, question: str, dataset_id: str | None, thread: str | None = None) -> str:
        """Records a run before any work starts, so a crash leaves a trace."""
        run_id = uuid.uuid4().hex[:12]
        self.db["runs"].insert(  # type: ignore[union-attr]
            {
                "id": run_id,
                "created_at": _now(),
                "question": question,
                "dataset_id": dataset_id,
                "thread": thread,
                "status": "running",
            }
        )
        return run_id

    def finish_run(self, run_id: str, **fields: Any) -> None:
        record = {k: _encode(v) for k, v in fields.items()}
        record["finished_at"] = _now()
        self.db["runs"].update(run_id, record)  # type: ignore[union-attr]

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.query(
            "select runs.id, runs.created_at, runs.question, runs.status, runs.timings, "
            "datasets.name as dataset from runs left join datasets "
            "on runs.dataset_id = datasets.id order by runs.created_at desc, runs.rowid desc "
            "limit ?",
            [limit],
        )
        return [dict(row) for row in rows]

    def get_run(self, run_id: str) -> dict[str, Any]:
        try:
            return dict(self.db["runs"].get(run_id))  # type: ignore[union-attr]
        except sqlite_utils.db.NotFoundError as exc:
            raise StoreError(f"No run with id {run_id}.") from exc


def _encode(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value
