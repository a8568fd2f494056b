"""A tiny line buffer with indentation, so step renderers read like the code they emit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Source:
    def __init__(self) -> None:
        self._lines: list[str] = []
        self._depth = 0

    def line(self, text: str = "") -> None:
        self._lines.append(("    " * self._depth + text) if text else "")

    def lines(self, *texts: str) -> None:
        for text in texts:
            self.line(text)

    def comment(self, text: str) -> None:
        self.line(f"# {text}")

    @contextlib.contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self._depth += 1
        yield
        self._depth -= 1

    def text(self) -> str:
        return "\n".join(self._lines).rstrip() + "\n"
