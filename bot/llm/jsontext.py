"""The JSON object in an LLM reply, however the model wrapped it.

Servers without structured output (and small models with it) wrap the object in
prose, a Markdown fence or a `<think>` block. The caller validates the object's shape;
this only finds it, and returns its text unchanged so the caller's error messages and
the stored reply agree.
"""

from __future__ import annotations

import json
import re

NO_JSON = "no JSON object in the reply"

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```", re.DOTALL)
_FENCE_JSON = re.compile(r"```[ \t]*(?:json|JSON)[ \t]*\r?\n(.*?)```", re.DOTALL)
# Reasoning models (DeepSeek-R1, Qwen3) print their thoughts first; they may hold braces.
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_decoder = json.JSONDecoder()


def extract_json(text: str) -> str:
    """The whole text if it is a JSON object, else the first ```json fenced block, else
    the outermost `{...}` span that parses. Raises ValueError when there is none."""
    stripped = text.strip()
    if _is_object(stripped):
        return stripped
    visible = _THINK.sub("", text)
    # A block labelled json first; an unlabelled fence only if no labelled one parses.
    for pattern in (_FENCE_JSON, _FENCE):
        for match in pattern.finditer(visible):
            block = match.group(1).strip()
            if _is_object(block):
                return block
    span = _first_object_span(visible)
    if span is None:
        raise ValueError(NO_JSON)
    return span


def _is_object(text: str) -> bool:
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _first_object_span(text: str) -> str | None:
    """From each `{` in turn, the object that starts there; the first that parses.

    Scanning left to right makes it the outermost one: an inner object starts later
    than the object holding it.
    """
    start = text.find("{")
    while start != -1:
        try:
            value, end = _decoder.raw_decode(text, start)
        except ValueError:
            pass
        else:
            if isinstance(value, dict):
                return text[start:end]
        start = text.find("{", start + 1)
    return None
