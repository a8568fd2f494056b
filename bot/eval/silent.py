"""Runs one request through a pipeline with nobody watching: evaluation needs only the
Outcome, not the checklist, code and live events a transport shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.models import Dataset, Plan, Request
from bot.reply import Outcome, Reply
from sandbox.events import Event


class AsksQuestions(Protocol):
    """What `bot.pipeline.Pipeline` offers; a protocol keeps the harness testable
    without building a sandbox."""

    def ask(self, request: Request, reply: Reply) -> Outcome: ...


class SilentReply:
    """A Reply that shows nothing."""

    def dataset(self, dataset: Dataset) -> None:
        pass

    def plan(self, plan: Plan) -> None:
        pass

    def code(self, code: str) -> None:
        pass

    def event(self, event: Event) -> None:
        pass

    def finish(self, outcome: Outcome) -> None:
        pass


def pipeline_asker(pipeline: AsksQuestions) -> Callable[[Request], Outcome]:
    return lambda request: pipeline.ask(request, SilentReply())
