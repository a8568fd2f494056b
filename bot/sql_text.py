"""Names and strings as DuckDB SQL text, for every module that writes SQL."""

from __future__ import annotations


def ident(name: str) -> str:
    """A column or alias name as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    """A string literal."""
    return "'" + text.replace("'", "''") + "'"
