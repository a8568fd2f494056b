"""Calls: running text as code, attributes looked up by computed names, unpickling."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from bot.review.attributes import judge_attribute_name
from bot.review.context import Context
from bot.review.policy import (
    DYNAMIC_BUILTINS,
    NAMED_ATTRIBUTE_BUILTINS,
    NAMED_ATTRIBUTE_HELPERS,
    PICKLE_LOADERS,
)
from bot.review.result import Finding


def check(ctx: Context) -> Iterator[Finding]:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            yield from _dynamic_builtin(node, ctx)
        elif isinstance(node, ast.Call):
            yield from _named_attribute(node, ctx)
            yield from _unpickling(node, ctx)


def _dynamic_builtin(node: ast.Name, ctx: Context) -> Iterator[Finding]:
    reason = DYNAMIC_BUILTINS.get(node.id)
    if reason is None:
        return
    # A parameter called `vars` is the user's own name; the builtin is flagged wherever it
    # is used unbound, and always when called, so `f = eval; f(...)` is caught too.
    called = any(
        isinstance(n, ast.Call) and n.func is node for n in ast.walk(ctx.tree)
    )  # cheap enough for scripts; keeps the rule free of a parent map
    if node.id in ctx.bound and not called:
        return
    yield Finding(node.lineno, "dynamic-code", f"uses {node.id}(), which {reason}", "blocked")


def _named_attribute(node: ast.Call, ctx: Context) -> Iterator[Finding]:
    name = ctx.qualname(node.func)
    if name in NAMED_ATTRIBUTE_BUILTINS and name not in ctx.bound:
        names = node.args[1:2] or [k.value for k in node.keywords if k.arg == "name"]
    elif name in NAMED_ATTRIBUTE_HELPERS:
        names = list(node.args)
    else:
        return
    for arg in names:
        text = ctx.static_string(arg)
        if text is None:
            yield Finding(
                node.lineno,
                "computed-attribute",
                f"{name} looks up an attribute whose name is built while running, a known way "
                "to hide blocked names",
                "blocked",
            )
            continue
        for part in text.split("."):
            finding = judge_attribute_name(part, node.lineno)
            if part in DYNAMIC_BUILTINS:
                finding = Finding(
                    node.lineno,
                    "dynamic-code",
                    f"{name} fetches {part}(), which {DYNAMIC_BUILTINS[part]}",
                    "blocked",
                )
            elif part.startswith("__") and (finding is None or finding.status != "blocked"):
                # Looked up by name, even a harmless-looking dunder is a way in.
                finding = Finding(
                    node.lineno,
                    "introspection",
                    f"{name} looks up the special attribute '{part}' by name",
                    "blocked",
                )
            if finding is not None:
                yield finding


def _unpickling(node: ast.Call, ctx: Context) -> Iterator[Finding]:
    name = ctx.qualname(node.func)
    allow_pickle = any(
        k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in node.keywords
    )
    if name in PICKLE_LOADERS or (name == "numpy.load" and allow_pickle):
        yield Finding(
            node.lineno,
            "unpickling",
            f"{name} rebuilds Python objects from a file, which can run code hidden in it",
            "blocked",
        )
