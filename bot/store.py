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

    def start_run(self, question: str, dataset_id: str | None) -> str:
        """Records a run before any work starts, so a crash leaves a trace."""
        run_id = uuid.uuid4().hex[:12]
        self.db["runs"].insert(  # type: ignore[union-attr]
            {
                "id": run_id,
                "created_at": _now(),
                "question": question,
                "dataset_id": dataset_id,
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
