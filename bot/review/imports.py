"""Import statements: blocked modules, the allow-list, and members imported by name."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from bot.review import members
from bot.review.context import Context
from bot.review.policy import (
    ALLOWED_MODULES,
    BLOCKED_MODULES,
    JUDGED_MODULES,
    SANDBOX_RUNTIME,
)
from bot.review.result import Finding


def check(ctx: Context) -> Iterator[Finding]:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _module(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            yield from _from(node)


def blocked(top: str) -> bool:
    """Whether importing top-level module `top` is refused (private modules included)."""
    return top in BLOCKED_MODULES or (top.startswith("_") and top != "__future__")


def _module(name: str, line: int) -> Iterator[Finding]:
    top = name.split(".")[0]
    if blocked(top):
        yield Finding(line, "blocked-import", _blocked_reason(top), "blocked")
    elif name == SANDBOX_RUNTIME or top in ALLOWED_MODULES or top in JUDGED_MODULES:
        return
    else:
        yield Finding(
            line,
            "unlisted-import",
            f"uses the '{top}' library, which is not on the list of data-analysis "
            "libraries; someone should check it is wanted",
            "needs_approval",
        )


def _from(node: ast.ImportFrom) -> Iterator[Finding]:
    if node.level or not node.module:
        yield Finding(
            node.lineno,
            "unlisted-import",
            "imports from a local package, which is not on the list of data-analysis libraries",
            "needs_approval",
        )
        return
    if node.module == "sandbox" and [a.name for a in node.names] == ["runtime"]:
        return
    yield from _module(node.module, node.lineno)
    top = node.module.split(".")[0]
    for alias in node.names:
        if alias.name == "*":
            if top in JUDGED_MODULES:
                yield Finding(
                    node.lineno,
                    "star-import",
                    f"imports every name of '{node.module}', including its process and "
                    "system functions, so their use cannot be checked",
                    "blocked",
                )
            continue
        # `from os import system as s`: the member is judged exactly as `os.system` is.
        finding = members.judge(f"{node.module}.{alias.name}", node.lineno)
        if finding is not None:
            yield finding


def _blocked_reason(top: str) -> str:
    kinds = {
        "pickle": "rebuilds objects from bytes, which runs code hidden in them",
        "ctypes": "loads native code that bypasses Python entirely",
        "subprocess": "starts other programs",
        "socket": "opens network connections",
        "importlib": "imports modules by names built while running",
    }
    why = kinds.get(top, "reaches processes, the network, native code or interpreter internals")
    return f"imports '{top}', which {why}; analysis code never needs it"
