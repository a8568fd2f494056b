"""Tokens back to real values, for display in the thread the data came from only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.pii.tokenise import TOKEN_HEX
from bot.pii.types import TOKEN_PREFIX

TOKEN_PATTERN = re.compile(
    r"\b(?:" + "|".join(sorted(set(TOKEN_PREFIX.values()))) + rf")_[0-9a-f]{{{TOKEN_HEX}}}\b"
)


def restore_text(text: str, tokens: Mapping[str, str]) -> str:
    """`text` with every known token replaced by its value; unknown tokens stay."""
    if not tokens:
        return text
    return TOKEN_PATTERN.sub(lambda m: tokens.get(m.group(0), m.group(0)), text)


def restore_value(value: Any, tokens: Mapping[str, str]) -> Any:
    return restore_text(value, tokens) if isinstance(value, str) else value
