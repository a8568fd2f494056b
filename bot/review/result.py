"""What a review returns: data, never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "needs_approval", "blocked"]

# Worst last: a review's status is the highest-ranked status among its findings.
_RANK: dict[Status, int] = {"ok": 0, "needs_approval": 1, "blocked": 2}


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the policy noticed: where, which rule, and why in plain words."""

    line: int
    rule: str
    reason: str
    status: Status = field(default="blocked", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class ReviewResult:
    """The verdict on a piece of code: its status and every finding behind it."""

    status: Status
    findings: list[Finding]

    @classmethod
    def of(cls, findings: list[Finding]) -> ReviewResult:
        """Sorts and de-duplicates findings; the status is the worst of them."""
        unique = sorted(set(findings))
        status: Status = max((f.status for f in unique), key=_RANK.__getitem__, default="ok")
        return cls(status=status, findings=unique)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "findings": [f.to_json() for f in self.findings]}
