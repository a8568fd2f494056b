"""The run record: datasets and runs in SQLite, schema managed by sqlite-utils migrations."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
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


@migrations()
def add_conversations(db: sqlite_utils.Database) -> None:
    db["runs"].add_column("user", str)  # type: ignore[union-attr]
    # Chat transports deliver an event more than once when an ack is late: the first
    # claim wins and the rest are dropped.
    db["events_seen"].create({"event_id": str, "seen_at": str}, pk="event_id")  # type: ignore[union-attr]
    # A dataset belongs to the thread it was uploaded into; nothing else can reach it.
    db["thread_datasets"].create(  # type: ignore[union-attr]
        {
            "thread": str,
            "dataset_id": str,
            "name": str,
            "path": str,
            "uploaded_by": str,
            "created_at": str,
        },
        pk=("thread", "dataset_id"),
    )
    # Code held for an approver; `status` moves from pending exactly once.
    db["approvals"].create(  # type: ignore[union-attr]
        {
            "run_id": str,
            "thread": str,
            "requester": str,
            "request": str,  # the Request to run once approved, as JSON
            "status": str,
            "decided_by": str,
            "decided_at": str,
            "created_at": str,
        },
        pk="run_id",
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """A real SQLite file; each call is its own transaction. Safe to share between
    threads: every thread gets its own connection (sqlite3 connections are not)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            migrations.apply(self.db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}") from exc

    @property
    def db(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self.path)
            # WAL keeps readers (`threadlab history`) from blocking a running analysis;
            # the timeout lets concurrent writers of the bot's threads take turns.
            db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last
            # commits, and spares an fsync per write (one per chat event).
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            self._local.db = db
        return db

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

    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen; False for every redelivery."""
        cursor = self.db.execute(
            "insert or ignore into events_seen (event_id, seen_at) values (?, ?)",
            [event_id, _now()],
        )
        self.db.conn.commit()
        return cursor.rowcount == 1

    def add_thread_dataset(
        self, thread: str, dataset_id: str, name: str, path: str, uploaded_by: str
    ) -> None:
        self.db["thread_datasets"].upsert(  # type: ignore[union-attr]
            {
                "thread": thread,
                "dataset_id": dataset_id,
                "name": name,
                "path": path,
                "uploaded_by": uploaded_by,
                "created_at": _now(),
            },
            pk=("thread", "dataset_id"),
        )

    def thread_datasets(self, thread: str) -> list[dict[str, Any]]:
        """The thread's datasets, oldest first."""
        return [
            dict(r)
            for r in self.db.query(
                "select * from thread_datasets where thread = ? order by created_at, rowid",
                [thread],
            )
        ]

    def threads_in(self, channel_prefix: str) -> list[str]:
        """Threads (keys starting with `channel_prefix`) that hold datasets."""
        rows = self.db.execute(
            "select distinct thread from thread_datasets where substr(thread, 1, ?) = ?",
            [len(channel_prefix), channel_prefix],
        ).fetchall()
        return [r[0] for r in rows]

    def forget_thread(self, thread: str) -> list[dict[str, Any]]:
        """Removes the thread's datasets; returns what was removed (files to delete)."""
        removed = self.thread_datasets(thread)
        with self.db.conn:
            self.db.execute("delete from thread_datasets where thread = ?", [thread])
        return removed

    def dataset_row(self, dataset_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from datasets where id = ?", [dataset_id]))
        return dict(rows[0]) if rows else None

    def forget_dataset(self, dataset_id: str) -> None:
        """Drops a dataset's token map and thread links (its cache is gone)."""
        with self.db.conn:
            self.db.execute("delete from pii_values where dataset_id = ?", [dataset_id])
            self.db.execute("delete from thread_datasets where dataset_id = ?", [dataset_id])

    def mark_interrupted(self) -> list[dict[str, Any]]:
        """Runs left `running` by a process that stopped: marked interrupted, returned
        (with their threads) so the transport can tell people."""
        rows = [
            dict(r)
            for r in self.db.query(
                "select id, question, thread, user from runs where status = 'running'"
            )
        ]
        with self.db.conn:
            self.db.execute(
                "update runs set status = 'interrupted', finished_at = ? where status = 'running'",
                [_now()],
            )
        return rows

    def audit(
        self, since: str | None = None, user: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Who asked what, what ran, who decided, what was answered; newest first."""
        where, params = ["1 = 1"], []
        if since:
            where.append("runs.created_at >= ?")
            params.append(since)
        if user:
            where.append("runs.user = ?")
            params.append(user)
        sql = (
            "select runs.id as run_id, runs.created_at, runs.user, runs.thread, runs.question, "
            "runs.status, runs.code, runs.plan, runs.answer, runs.message, "
            "approvals.status as decision, approvals.decided_by, approvals.decided_at "
            "from runs left join approvals on approvals.run_id = runs.id "
            f"where {' and '.join(where)} order by runs.created_at desc, runs.rowid desc limit ?"
        )
        return [dict(r) for r in self.db.query(sql, [*params, limit])]

    def hold_for_approval(
        self, run_id: str, thread: str, requester: str, request: dict[str, Any]
    ) -> None:
        self.db["approvals"].insert(  # type: ignore[union-attr]
            {
                "run_id": run_id,
                "thread": thread,
                "requester": requester,
                "request": json.dumps(request, ensure_ascii=False),
                "status": "pending",
                "created_at": _now(),
            },
            pk="run_id",
            replace=True,
        )

    def decide(self, run_id: str, decision: str, user: str) -> dict[str, Any] | None:
        """Moves a pending approval to `decision` atomically: the approval for the one
        caller that won, None for everyone else (already decided, or unknown)."""
        with self.db.conn:
            cursor = self.db.execute(
                "update approvals set status = ?, decided_by = ?, decided_at = ? "
                "where run_id = ? and status = 'pending'",
                [decision, user, _now(), run_id],
            )
        if cursor.rowcount != 1:
            return None
        return self.approval(run_id)

    def approval(self, run_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from approvals where run_id = ?", [run_id]))
        if not rows:
            return None
        return {**rows[0], "request": json.loads(rows[0]["request"])}

    def user_runs(self, user: str, limit: int = 10) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.query(
                "select id, created_at, question, status from runs where user = ? "
                "order by created_at desc, rowid desc limit ?",
                [user, limit],
            )
        ]

    def start_run(
        self,
        question: str,
        dataset_id: str | None,
        thread: str | None = None,
        user: str | None = None,
    ) -> str:
        """Records a run before any work starts, so a crash leaves a trace."""
        run_id = uuid.uuid4().hex[:12]
        self.db["runs"].insert(  # type: ignore[union-attr]
            {
                "id": run_id,
                "created_at": _now(),
                "question": question,
                "dataset_id": dataset_id,
                "thread": thread,
                "user": user,
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
