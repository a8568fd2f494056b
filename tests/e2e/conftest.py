"""End-to-end fixtures: the real `threadlab` CLI in a subprocess, on the bundled samples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
THREADLAB = Path(sys.executable).with_name("threadlab")


@dataclass
class AskResult:
    exit_code: int
    stdout: str
    stderr: str
    json: dict[str, Any]

    def table(self, *columns: str) -> pd.DataFrame:
        """The whole result table (from its CSV artifact) that has all these columns."""
        for t in self.json["tables"]:
            if all(c in t["columns"] for c in columns):
                assert t["csv"], f"table {t['name']} has no CSV artifact"
                return pd.read_csv(t["csv"])
        names = [(t["name"], t["columns"]) for t in self.json["tables"]]
        raise AssertionError(f"no table with columns {columns}; tables: {names}")

    def named_table(self, name: str) -> pd.DataFrame:
        """The whole result table called `name`, read from its CSV artifact."""
        table = next((t for t in self.json["tables"] if t["name"] == name), None)
        assert table is not None, [t["name"] for t in self.json["tables"]]
        assert table["csv"], f"table {name} has no CSV artifact"
        return pd.read_csv(table["csv"])

    def step(self, kind: str) -> dict[str, Any]:
        steps = [s for s in self.json["plan"]["steps"] if s["kind"] == kind]
        assert steps, f"plan has no {kind} step: {self.json['plan']['steps']}"
        return steps[0]


@pytest.fixture(scope="session")
def threadlab_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One data dir for the session, so each sample's Parquet cache is built once."""
    home = tmp_path_factory.mktemp("threadlab")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_"))}
    env["THREADLAB_DATA_DIR"] = str(home / "data")
    env["THREADLAB_DB_PATH"] = str(home / "threadlab.db")
    return env


Ask = Callable[..., AskResult]


@pytest.fixture
def ask(threadlab_env: dict[str, str], tmp_path: Path) -> Ask:
    def run(
        data: Path | str, question: str, *extra: str, env: dict[str, str] | None = None
    ) -> AskResult:
        proc = subprocess.run(
            [
                str(THREADLAB),
                "ask",
                str(data),
                question,
                "--json",
                "--out",
                str(tmp_path / "out"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env={**threadlab_env, **(env or {})},
            timeout=300,
            cwd=tmp_path,
        )
        assert proc.stdout.strip(), f"no JSON on stdout; stderr:\n{proc.stderr}"
        payload = json.loads(proc.stdout.strip().splitlines()[-1])
        return AskResult(proc.returncode, proc.stdout, proc.stderr, payload)

    return run


def read_sales(chinese: bool = False) -> pd.DataFrame:
    """The daily sales sample, read independently of ThreadLab's ingest."""
    if chinese:
        frame = pd.read_csv(EXAMPLES / "sales_daily_zh.csv", encoding="gb18030")
        frame = frame.rename(
            columns={"日期": "date", "地区": "region", "销售额": "sales", "订单数": "orders"}
        )
    else:
        frame = pd.read_csv(EXAMPLES / "sales_daily.csv")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def read_transactions() -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLES / "transactions.csv", dtype={"user_id": str, "order_id": str})
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
