"""State shared by the step renderers while one plan is turned into code."""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from bot.models import Language

# Names the generated script already uses; a result called like one of them is renamed.
RESERVED = {
    "df",
    "pd",
    "np",
    "plt",
    "matplotlib",
    "tl",
    "facts",
    "DATA",
    "ANSWER",
    "notes",
    "whole",
    "compared",
    "fig",
    "ax",
    "con",
    "rows",
    "before",
}


@dataclass
class RenderContext:
    language: Language
    helpers: list[str] = field(default_factory=list)  # helper snippets the code needs
    variables: dict[str, str] = field(default_factory=dict)  # result name -> variable
    # The DuckDB engine: the SQL view that holds the working table, and how many views
    # were made. `sql` turns False once a step needs the rows in pandas; from then on
    # `df` is the working table and every later step is pandas code.
    sql: bool = False
    view: str = ""
    views: int = 0
    integer_columns: frozenset[str] = frozenset()  # whose SUM must stay an integer
    dtypes: dict[str, str] = field(default_factory=dict)  # the cache's, for to_pandas
    # Columns whose values occur once in the working table: filters keep that true; a
    # derive step that writes one of these names removes it.
    unique_columns: set[str] = field(default_factory=set)
    derived: set[str] = field(default_factory=set)  # columns the plan's derive steps made

    def next_view(self) -> str:
        """A fresh view name; it becomes the working table's."""
        self.views += 1
        self.view = f"t{self.views}"
        return self.view

    def need(self, helper: str) -> None:
        if helper not in self.helpers:
            self.helpers.append(helper)

    def variable(self, output: str) -> str:
        """The Python variable holding result `output` (created on first use)."""
        if output not in self.variables:
            name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in output)
            if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED:
                name = f"result_{name}".strip("_")
                if not name.isidentifier():
                    name = f"result_{len(self.variables) + 1}"
            taken = set(self.variables.values())
            base, suffix = name, 2
            while name in taken:
                name, suffix = f"{base}_{suffix}", suffix + 1
            self.variables[output] = name
        return self.variables[output]

    def source(self, name: str) -> str:
        """A chart's data: "df" is the working table, anything else a named result."""
        return "df" if name == "df" else self.variable(name)

    def say(self, en: str, zh: str) -> str:
        return zh if self.language == "zh" else en
