"""Reads a question set in the InfiAgent-DABench layout.

    DIR/<name>-questions.jsonl   {"id", "question", "concepts", "constraints", "format",
                                  "file_name", "level"} per line
    DIR/<name>-labels.jsonl      {"id", "common_answers": [[name, value], ...]} per line
    DIR/<folder>/<file_name>     the tables (DABench: da-dev-tables/), or DIR/<file_name>

Lenient where DABench itself varies (ids as int or str, missing concepts or level),
strict where a silent guess would skew the score (a bad line, a question without labels,
a table that is missing or found in two places).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.errors import ThreadLabError

M = TypeVar("M", bound=BaseModel)
Label = tuple[str, str]  # (answer name, expected value as written in the labels)


class EvalSetError(ThreadLabError):
    """The question set could not be read."""


@dataclass(frozen=True)
class EvalQuestion:
    id: str  # DABench ids are ints, other sets use strings: compared as text
    question: str
    file_name: str
    table: Path  # where file_name was found, absolute
    concepts: list[str] = field(default_factory=list)
    constraints: str = ""
    format: str = ""
    level: str = ""
    labels: list[Label] = field(default_factory=list)


class _QuestionLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int | str
    question: str
    file_name: str
    concepts: list[str] = []
    constraints: str | None = None
    format: str | None = None
    level: str | None = None


class _LabelLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int | str
    common_answers: list[tuple[str, Any]]

    @field_validator("common_answers")
    @classmethod
    def _scalar_values(cls, pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        for _, value in pairs:
            if isinstance(value, dict | list) or value is None:
                raise ValueError("each answer value must be a string or a number")
        return pairs


def load(directory: Path) -> list[EvalQuestion]:
    """The questions of the set in `directory`, in file order, each with its labels."""
    if not directory.is_dir():
        raise EvalSetError(f"{directory} is not a directory.")
    questions_file = _one(directory, "*-questions.jsonl")
    labels_file = _one(directory, "*-labels.jsonl")
    labels: dict[str, list[Label]] = {}
    for number, raw in _lines(labels_file):
        line = _parse(_LabelLine, raw, labels_file, number)
        labels[str(line.id)] = [(name, _text(value)) for name, value in line.common_answers]

    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, raw in _lines(questions_file):
        q = _parse(_QuestionLine, raw, questions_file, number)
        qid = str(q.id)
        where = f"{questions_file.name} line {number}"
        if qid in seen:
            raise EvalSetError(f"{where}: question id {qid} appears twice.")
        seen.add(qid)
        if qid not in labels:
            raise EvalSetError(f"{where}: question id {qid} has no line in {labels_file.name}.")
        questions.append(
            EvalQuestion(
                id=qid,
                question=q.question,
                file_name=q.file_name,
                table=_table(directory, q.file_name, where),
                concepts=q.concepts,
                constraints=q.constraints or "",
                format=q.format or "",
                level=q.level or "",
                labels=labels[qid],
            )
        )
    return questions


def _one(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise EvalSetError(f"{directory} needs exactly one {pattern} file (found: {names}).")
    return found[0]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers, as an editor shows them."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw


def _parse(model: type[M], raw: str, path: Path, number: int) -> M:
    where = f"{path.name} line {number}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EvalSetError(f"{where}: not valid JSON ({exc.msg}).") from exc
    if not isinstance(data, dict):
        raise EvalSetError(f"{where}: expected a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "line"
        raise EvalSetError(f"{where}: {field_name}: {first['msg']}.") from exc


def _text(value: Any) -> str:
    # JSON numbers in labels are compared as their written form, like string labels.
    if isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else json.dumps(value)


def _table(directory: Path, file_name: str, where: str) -> Path:
    """The table directly in the set's folder, or in the one subfolder that holds it."""
    direct = directory / file_name
    if direct.is_file():
        return direct.resolve()
    found = sorted(
        sub / file_name
        for sub in directory.iterdir()
        if sub.is_dir() and (sub / file_name).is_file()
    )
    if not found:
        raise EvalSetError(f"{where}: table {file_name} is not in {directory} or a subfolder.")
    if len(found) > 1:
        places = ", ".join(str(p.parent.name) for p in found)
        raise EvalSetError(f"{where}: table {file_name} is in several subfolders ({places}).")
    return found[0].resolve()
