"""`threadlab review` through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

THREADLAB = Path(sys.executable).with_name("threadlab")


@pytest.mark.parametrize(
    ("code", "status", "exit_code"),
    [
        ("import pandas as pd\nprint(pd.__version__)\n", "ok", 0),
        ("import rich\n", "needs_approval", 1),
        ("import pandas as pd\npd.io.common.os.system('id')\n", "blocked", 2),
    ],
)
def test_review_command_json_and_exit_code(code: str, status: str, exit_code: int) -> None:
    proc = subprocess.run(
        [str(THREADLAB), "review", "--json"],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == exit_code, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == status
    assert set(payload) == {"status", "findings"}
    assert all(set(f) == {"line", "rule", "reason"} for f in payload["findings"])


def test_review_command_reads_a_file_and_prints_findings(tmp_path: Path) -> None:
    script = tmp_path / "analysis.py"
    script.write_text("x = 1\nopen('/etc/passwd')\n", encoding="utf-8")
    proc = subprocess.run(
        [str(THREADLAB), "review", str(script)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "line 2" in proc.stdout and "system-file" in proc.stdout
    assert proc.stdout.strip().endswith("status: blocked")
