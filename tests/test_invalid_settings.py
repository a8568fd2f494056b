"""A setting the bot cannot run with stops every command with one line naming its
environment variable and the rule; a sandbox too small for pyarrow's and DuckDB's threads
is refused at start instead of hanging a run until its time limit."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from click.testing import CliRunner

from bot.settings import Settings
from handlers.cli import main


def test_a_process_limit_too_small_for_library_threads_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="sandbox_max_processes"):
        Settings(sandbox_max_processes=8)
    assert Settings(sandbox_max_processes=16).sandbox_max_processes == 16


@pytest.mark.parametrize(
    "command", [["ask", "data.csv", "monthly trend"], ["sandbox", "run", "job.py"]]
)
def test_commands_name_the_bad_variable_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the files below, and no .env but this test's variables
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "job.py").write_text("print('never runs')\n")
    env = {"THREADLAB_SANDBOX_MAX_PROCESSES": "4", "THREADLAB_DATA_DIR": str(tmp_path / "d")}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 1
    assert "Error: invalid settings: THREADLAB_SANDBOX_MAX_PROCESSES: Input should be " in (
        result.output
    )
    assert "greater than or equal to 16" in result.output
    assert "never runs" not in result.output and "Traceback" not in result.output
