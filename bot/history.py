"""Code history: every run's plan, code and input hashes committed to a local git repo.

One commit per run, its message naming the request, the user and the thread, so any
answer can be traced to the exact code that produced it and replayed (`threadlab show`,
`threadlab rerun`). git is the field's standard for this and is already on every host
that can clone the project; it is driven through its command line.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ThreadLab",
    "GIT_AUTHOR_EMAIL": "threadlab@localhost",
    "GIT_COMMITTER_NAME": "ThreadLab",
    "GIT_COMMITTER_EMAIL": "threadlab@localhost",
    # The host's git config (hooks, signing, templates) has no say in this repo.
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class HistoryError(Exception):
    """git failed; the run itself is unaffected."""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    question: str
    user: str | None
    thread: str | None
    status: str
    plan: dict[str, Any] | None
    code: str
    inputs: dict[str, str]  # file name -> sha256 of the file the run read


class CodeHistory:
    """A git repository at `path`, created on first use; safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _git(self, *args: str) -> str:
        env = {**os.environ, **_GIT_ENV}
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise HistoryError(f"git {args[0]} failed: {done.stderr.strip()[-300:]}")
        return done.stdout

    def _ensure(self) -> None:
        if (self.path / ".git").is_dir():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self._git("init", "--quiet")

    def commit(self, record: RunRecord) -> str:
        """Commits the run under runs/<run_id>/; returns the commit id."""
        with self._lock:
            self._ensure()
            folder = self.path / "runs" / record.run_id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "analysis.py").write_text(record.code, encoding="utf-8")
            (folder / "plan.json").write_text(
                json.dumps(record.plan, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            (folder / "inputs.json").write_text(
                json.dumps(record.inputs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            self._git("add", "--", f"runs/{record.run_id}")
            who = record.user or "terminal"
            where = f" in {record.thread}" if record.thread else ""
            subject = record.question.splitlines()[0][:72] if record.question else "(no question)"
            message = (
                f"Run {record.run_id}: {subject}\n\n"
                f"Asked by {who}{where}; status {record.status}.\n"
                f"Question: {record.question}\n"
            )
            self._git("commit", "--quiet", "--allow-empty", "-m", message)
            return self._git("rev-parse", "HEAD").strip()

    def code(self, run_id: str) -> str | None:
        path = self.path / "runs" / run_id / "analysis.py"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def log(self, limit: int = 20) -> list[str]:
        if not (self.path / ".git").is_dir():
            return []
        return self._git("log", f"-{limit}", "--format=%h %s").splitlines()
