"""What the LLM does around a run: fix code that failed, and write the final answer.

Both only ever see masked text (through the dataset's `LlmBoundary`), and both are
optional: when the LLM is unreachable the run keeps its own error or template answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from bot.llm.client import LlmClient, LlmUnavailable
from bot.llm.prompts import answer_messages, repair_messages
from bot.models import Dataset, Plan
from bot.pii.boundary import LlmBoundary
from bot.reply import TablePreview
from sandbox.result import RunResult

log = logging.getLogger(__name__)

_CODE_BLOCK = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)
# Keep the traceback's end (where the error is) and the prompt small.
_TRACEBACK_CHARS = 3000
_OUTPUT_CHARS = 2000
_TABLE_ROWS = 15

_HINTS = {
    "out_of_memory": "It ran out of memory: use DuckDB on the Parquet file "
    "(duckdb.sql(...) with aggregation in SQL) or work on a sample, rather than loading "
    "everything into pandas.",
    "timeout": "It ran out of time: aggregate with DuckDB, avoid Python loops over rows, "
    "or work on a sample.",
    "cpu_limit": "It used up its CPU time: vectorise, aggregate with DuckDB, or sample.",
}


def extract_code(text: str) -> str | None:
    """The program in a reply: the last ```python block, or the whole reply if it has
    no fence and parses as Python."""
    blocks = _CODE_BLOCK.findall(text)
    if blocks:
        return str(blocks[-1]).strip() + "\n"
    try:
        compile(text, "<reply>", "exec")
    except SyntaxError:
        return None
    return text.strip() + "\n"


def failure_text(result: RunResult) -> str:
    tail = result.stderr[-_TRACEBACK_CHARS:]
    return f"{result.status}: {result.message}\n{tail}".strip()


def results_text(tables: list[TablePreview], answer: str, stdout: str) -> str:
    parts = []
    for t in tables:
        head = " | ".join(str(c) for c in t.columns)
        rows = "\n".join(" | ".join(str(v) for v in row) for row in t.rows[:_TABLE_ROWS])
        parts.append(f"Table {t.title or t.name} ({t.total_rows} rows):\n{head}\n{rows}")
    if answer:
        parts.append(f"Computed summary: {answer}")
    if stdout.strip():
        parts.append(f"Printed output:\n{stdout[-_OUTPUT_CHARS:]}")
    return "\n\n".join(parts) or "(no results)"


class LlmAssist:
    def __init__(self, client: LlmClient, boundary_for: Callable[[Dataset], LlmBoundary]) -> None:
        self.client = client
        self._boundary_for = boundary_for

    def repair(self, question: str, code: str, result: RunResult, dataset: Dataset) -> str | None:
        """A fixed program, or None when the LLM is unreachable or replied without one."""
        boundary = self._boundary_for(dataset)
        hint = _HINTS.get(result.status, "")
        messages = repair_messages(question, code, failure_text(result), hint, boundary)
        try:
            reply = self.client.complete(messages, purpose="repair")
        except LlmUnavailable as exc:
            log.warning("no repair: %s", exc.user_message)
            return None
        return extract_code(reply)

    def answer(self, plan: Plan, results: str, dataset: Dataset) -> str | None:
        """The answer in the question's language, or None to keep the template's."""
        boundary = self._boundary_for(dataset)
        messages = answer_messages(plan.question, plan.language, plan.summary, results, boundary)
        try:
            text = self.client.complete(messages, purpose="answer").strip()
        except LlmUnavailable as exc:
            log.warning("template answer kept: %s", exc.user_message)
            return None
        return text or None
