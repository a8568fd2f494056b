"""Loading a question set in the DABench layout: the shipped one, and broken ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ThreadLabError
from bot.eval import load

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "examples" / "eval"


def write_set(
    directory: Path,
    questions: list[dict[str, Any]],
    labels: list[dict[str, Any]],
    tables: str | None = "da-dev-tables",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(q) for q in questions]
    (directory / "da-dev-questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps(label) for label in labels]
    (directory / "da-dev-labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = directory / tables if tables else directory
    folder.mkdir(exist_ok=True)
    for q in questions:
        (folder / q["file_name"]).write_text("x,y\n1,2\n", encoding="utf-8")
    return directory


def test_the_shipped_set_loads_with_labels_and_tables() -> None:
    questions = load(SHIPPED)
    assert 8 <= len(questions) <= 10
    assert [q.id for q in questions] == [str(i) for i in range(len(questions))]
    for q in questions:
        assert q.table.is_file() and q.table.is_absolute()
        assert q.table.parent.name == "threadlab-tables"
        assert q.labels and q.format and q.concepts and q.level
        assert all(f"@{name}[" in q.format for name, _ in q.labels), q.format
    concepts = {c for q in questions for c in q.concepts}
    assert {
        "Summary Statistics",
        "Correlation Analysis",
        "Distribution Analysis",
        "Feature Engineering",
        "Outlier Detection",
    } <= concepts
    first = questions[0]
    assert first.file_name == "monthly_sales.csv"
    assert first.labels == [("mean_revenue", "27696.07"), ("std_revenue", "8361.38")]


def test_lenient_fields_ids_and_tables_beside_the_files(tmp_path: Path) -> None:
    directory = write_set(
        tmp_path / "set",
        [
            {"id": "q-a", "question": "Q?", "file_name": "a.csv"},  # no concepts, no level
            {"id": 7, "question": "R?", "file_name": "b.csv", "concepts": ["Correlation"]},
        ],
        [
            {"id": 7, "common_answers": [["r", 0.5], ["n", 3], ["flag", True]]},
            {"id": "q-a", "common_answers": [["x", "1"]]},
            {"id": 99, "common_answers": [["unused", "0"]]},  # a label without a question
        ],
        tables=None,
    )
    first, second = load(directory)
    assert (first.id, first.concepts, first.level, first.constraints) == ("q-a", [], "", "")
    assert first.table == (directory / "a.csv").resolve()
    assert second.id == "7" and second.labels == [("r", "0.5"), ("n", "3"), ("flag", "True")]


def test_a_bad_json_line_names_the_file_and_line(tmp_path: Path) -> None:
    directory = write_set(
        tmp_path / "set",
        [{"id": 0, "question": "Q?", "file_name": "a.csv"}],
        [{"id": 0, "common_answers": [["x", "1"]]}],
    )
    questions = directory / "da-dev-questions.jsonl"
    questions.write_text(
        questions.read_text(encoding="utf-8") + "\n{'id': 1, oops\n", encoding="utf-8"
    )
    with pytest.raises(ThreadLabError, match=r"da-dev-questions\.jsonl line 3: not valid JSON"):
        load(directory)


def test_a_line_missing_a_field_names_the_file_line_and_field(tmp_path: Path) -> None:
    directory = write_set(
        tmp_path / "set",
        [{"id": 0, "question": "Q?", "file_name": "a.csv"}],
        [{"id": 0, "common_answers": [["x", "1"]]}, {"id": 1}],
    )
    with pytest.raises(ThreadLabError, match=r"da-dev-labels\.jsonl line 2: common_answers"):
        load(directory)


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("da-dev-questions.jsonl", r"exactly one \*-questions\.jsonl file \(found: none\)"),
        ("da-dev-labels.jsonl", r"exactly one \*-labels\.jsonl file"),
        ("da-dev-tables/a.csv", r"line 1: table a\.csv is not in"),
    ],
)
def test_missing_files_are_clear_errors(tmp_path: Path, remove: str, message: str) -> None:
    directory = write_set(
        tmp_path / "set",
        [{"id": 0, "question": "Q?", "file_name": "a.csv"}],
        [{"id": 0, "common_answers": [["x", "1"]]}],
    )
    (directory / remove).unlink()
    with pytest.raises(ThreadLabError, match=message):
        load(directory)


def test_a_question_without_labels_is_an_error(tmp_path: Path) -> None:
    directory = write_set(
        tmp_path / "set",
        [
            {"id": 0, "question": "Q?", "file_name": "a.csv"},
            {"id": 1, "question": "R?", "file_name": "a.csv"},
        ],
        [{"id": 0, "common_answers": [["x", "1"]]}],
    )
    with pytest.raises(ThreadLabError, match=r"line 2: question id 1 has no line in"):
        load(directory)


def test_a_table_in_two_subfolders_is_ambiguous(tmp_path: Path) -> None:
    directory = write_set(
        tmp_path / "set",
        [{"id": 0, "question": "Q?", "file_name": "a.csv"}],
        [{"id": 0, "common_answers": [["x", "1"]]}],
    )
    shutil.copytree(directory / "da-dev-tables", directory / "other-tables")
    with pytest.raises(ThreadLabError, match="several subfolders"):
        load(directory)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ThreadLabError, match="is not a directory"):
        load(tmp_path / "nowhere")
