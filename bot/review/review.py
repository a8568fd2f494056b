"""Runs every rule over a piece of code and gathers the findings into one verdict."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from bot.review import attributes, calls, dependencies, files, imports
from bot.review.context import Context
from bot.review.result import Finding, ReviewResult

Rule = Callable[[Context], Iterator[Finding]]

# One module per theme; the order does not matter, findings are sorted by line.
RULES: tuple[Rule, ...] = (
    imports.check,
    dependencies.check,
    calls.check,
    attributes.check,
    files.check,
)


def review(code: str) -> ReviewResult:
    """Classifies code as ok, needs_approval or blocked, with the findings behind it."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        # Code that does not parse cannot be checked, so it cannot be allowed to run.
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return ReviewResult.of(
            [Finding(line, "syntax", f"is not valid Python ({message}), so it cannot be checked")]
        )
    ctx = Context.of(tree)
    return ReviewResult.of([finding for rule in RULES for finding in rule(ctx)])
