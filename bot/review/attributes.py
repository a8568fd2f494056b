"""Attribute chains and bare names: dunder walks, frames, modules reached sideways."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from bot.review import members
from bot.review.context import Context
from bot.review.policy import (
    BLOCKED_ATTRIBUTES,
    BLOCKED_METHODS,
    BLOCKED_MODULES,
    CHAIN_MODULE_NAMES,
    DYNAMIC_BUILTINS,
    HARMLESS_DUNDERS,
    JUDGED_MODULES,
)
from bot.review.result import Finding


def check(ctx: Context) -> Iterator[Finding]:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Attribute):
            yield from _attribute(node, ctx)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            yield from _name(node, ctx)


def judge_attribute_name(name: str, line: int) -> Finding | None:
    """The verdict on reading attribute `name` of any object (also used for getattr)."""
    if name in BLOCKED_ATTRIBUTES:
        return Finding(
            line,
            "introspection",
            f"reads '{name}', a way to walk from any object to the interpreter's internals "
            "and around every other check",
            "blocked",
        )
    if name in BLOCKED_METHODS:
        return Finding(line, "process-or-network", _method_reason(name), "blocked")
    if name in CHAIN_MODULE_NAMES:
        return Finding(
            line,
            "module-through-attribute",
            f"reaches the '{name}' module through another object instead of importing it, "
            "a known way to hide process and file access",
            "blocked",
        )
    if name.startswith("__") and name.endswith("__") and name not in HARMLESS_DUNDERS:
        return Finding(
            line,
            "special-attribute",
            f"reads the special attribute '{name}', which ordinary analysis code does not need",
            "needs_approval",
        )
    return None


def _attribute(node: ast.Attribute, ctx: Context) -> Iterator[Finding]:
    finding = judge_attribute_name(node.attr, node.lineno)
    if finding is not None:
        yield finding
    qualname = ctx.qualname(node)
    if qualname and ctx.is_chain_end(node):
        finding = members.judge(qualname, node.lineno)
        if finding is not None:
            yield finding


def _name(node: ast.Name, ctx: Context) -> Iterator[Finding]:
    # Bare `__builtins__`, `__loader__`...; `__import__` is the calls rule's.
    if node.id in BLOCKED_ATTRIBUTES and node.id not in DYNAMIC_BUILTINS:
        finding = judge_attribute_name(node.id, node.lineno)
        if finding is not None:
            yield finding
        return
    module = ctx.aliases.get(node.id)
    if module is None or not ctx.is_chain_end(node):
        return
    top = module.split(".")[0]
    if module in JUDGED_MODULES or top in BLOCKED_MODULES:
        # `x = os; x.system(...)`: once the module itself is handed around, its uses
        # can no longer be followed, so handing it around is itself refused.
        yield Finding(
            node.lineno,
            "module-handed-around",
            f"passes the '{module}' module around as a value, which hides what is done with it",
            "blocked",
        )
    elif "." in module:
        finding = members.judge(module, node.lineno)  # `from os import environ; environ[...]`
        if finding is not None:
            yield finding


def _method_reason(name: str) -> str:
    return f"calls {name}, which starts other programs or opens network connections"
