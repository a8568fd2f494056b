"""`threadlab sandbox run`: the program's output streams through; the exit status tells."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import THREADLAB


def _sandbox(env: dict[str, str], code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(THREADLAB), "sandbox", "run", "-", *args],
        input=code, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def test_output_streams_and_inputs_are_readable(
    threadlab_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "numbers.csv"
    data.write_text("x\n1\n2\n3\n", encoding="utf-8")
    code = "import pandas as pd\nprint('sum', pd.read_csv('numbers.csv')['x'].sum())\n"
    proc = _sandbox(threadlab_env, code, "--input", str(data))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "sum 6"
    assert "[sandbox] ok" in proc.stderr


def test_json_result_and_failure_exit(threadlab_env: dict[str, str]) -> None:
    proc = _sandbox(threadlab_env, "print('before')\nraise KeyError('amount')\n", "--json")
    assert proc.returncode == 1
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["status"] == "error"
    assert result["message"] == "KeyError: 'amount'"
    assert proc.stdout.splitlines()[0] == "before"


def test_timeout_option_stops_the_program(threadlab_env: dict[str, str]) -> None:
    proc = _sandbox(threadlab_env, "import time\ntime.sleep(30)\n", "--timeout", "1", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[-1])["status"] == "timeout"


def test_environment_secrets_do_not_reach_the_program(threadlab_env: dict[str, str]) -> None:
    env = {**threadlab_env, "SLACK_BOT_TOKEN": "xoxb-secret-token"}
    proc = _sandbox(env, "import os\nprint(sorted(os.environ.items()))\n")
    assert proc.returncode == 0, proc.stderr
    assert "xoxb-secret-token" not in proc.stdout
