"""The structured event protocol between a run and its host.

Generated code reports progress through `sandbox.runtime`, which writes one JSON object
per line to a dedicated pipe (never to stdout, which belongs to the program). The host
adds `log` events for each line the program prints.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# "queued" comes from the host, not the program: the run waits for a free worker.
EventType = Literal["step_started", "step_finished", "log", "table", "image", "answer", "queued"]


@dataclass(frozen=True)
class Event:
    """One thing that happened in a run.

    Fields by type:
    - step_started: index, title
    - step_finished: index, title, seconds
    - log: stream ("stdout" | "stderr"), text
    - table: name, path (relative to the work dir, CSV of the whole table), columns,
      rows (the first rows, JSON-safe values), total_rows
    - image: name, path (relative to the work dir), title
    - answer: text
    """

    type: EventType
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"type": self.type, **self.data}, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, line: str) -> Event:
        raw = json.loads(line)
        # The type is checked to be a string first: an unhashable one (a list) would
        # raise TypeError from the set lookup instead of the documented ValueError.
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("type"), str)
            or raw["type"] not in _TYPES
        ):
            raise ValueError(f"not an event: {line[:200]!r}")
        kind = raw.pop("type")
        return cls(type=kind, data=raw)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)["data"]}


_TYPES = {"step_started", "step_finished", "log", "table", "image", "answer"}
