"""File access: every call that names a file must name one inside the work folder."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from bot.review.context import Context
from bot.review.paths import judge_path
from bot.review.policy import (
    BUFFER_FACTORIES,
    PANDAS_NON_FILE_READERS,
    PANDAS_READER_KEYWORDS,
    PANDAS_READER_PREFIX,
    PATH_CALLS,
    PATH_METHODS,
)
from bot.review.result import Finding


def check(ctx: Context) -> Iterator[Finding]:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call):
            for arg in _path_arguments(node, ctx):
                yield from _judge(arg, node.lineno, ctx)
            yield from _home(node, ctx)
            yield from _sql(node, ctx)


def _path_arguments(node: ast.Call, ctx: Context) -> list[ast.expr]:
    name = ctx.qualname(node.func)
    if name in PATH_CALLS and not (name == "open" and "open" in ctx.bound):
        positions, keywords = PATH_CALLS[name]
    elif name and name.startswith(PANDAS_READER_PREFIX) and name not in PANDAS_NON_FILE_READERS:
        positions, keywords = (0,), PANDAS_READER_KEYWORDS
    elif isinstance(node.func, ast.Attribute) and node.func.attr in PATH_METHODS:
        positions, keywords = (0,), PATH_METHODS[node.func.attr]
    else:
        return []
    chosen = [node.args[i] for i in positions if i < len(node.args)]
    chosen += [k.value for k in node.keywords if k.arg in keywords]
    return [a for a in chosen if not isinstance(a, ast.Starred)] + [
        a for a in node.args if isinstance(a, ast.Starred)
    ]


def _judge(arg: ast.expr, line: int, ctx: Context) -> Iterator[Finding]:
    text = ctx.static_string(arg)
    if text is not None:
        verdict = judge_path(text)
        if verdict is not None:
            status, reason = verdict
            rule = "system-file" if status == "blocked" else "file-outside-workdir"
            yield Finding(line, rule, reason, status)
        return
    if _is_buffer(arg, ctx):
        return
    yield Finding(
        line,
        "computed-file-name",
        "opens a file whose name is worked out while running, so it cannot be checked "
        "that it stays inside the work folder",
        "needs_approval",
    )


def _is_buffer(arg: ast.expr, ctx: Context) -> bool:
    """An in-memory buffer (io.StringIO(), sys.stdout), a file object opened (and judged)
    elsewhere, or a name bound only to those."""
    if isinstance(arg, ast.Call):
        name = ctx.qualname(arg.func)
        return name in BUFFER_FACTORIES or name in ("open", "io.open", "pandas.ExcelWriter")
    if ctx.qualname(arg) in BUFFER_FACTORIES:
        return True
    if not isinstance(arg, ast.Name):
        return False
    values = _values_bound_to(arg.id, ctx)
    return bool(values) and all(v is not None and _is_buffer(v, ctx) for v in values)


def _values_bound_to(name: str, ctx: Context) -> list[ast.expr | None]:
    """What `name` is assigned anywhere; None stands for a binding of unknown value."""
    values: list[ast.expr | None] = []
    stores = 0
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.withitem):
            if isinstance(node.optional_vars, ast.Name) and node.optional_vars.id == name:
                values.append(node.context_expr)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                values.append(node.value)
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            stores += 1
    # Loop targets, unpacking and walruses bind without a value we can read.
    return values + [None] * max(0, stores - len(values))


def _home(node: ast.Call, ctx: Context) -> Iterator[Finding]:
    # Path.home() and expanduser() point at the home folder, where keys and tokens live.
    name = ctx.qualname(node.func) or ""
    attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name in ("pathlib.Path.home", "os.path.expanduser") or attr == "expanduser":
        yield Finding(
            node.lineno,
            "home-folder",
            "reaches the home folder, where keys and tokens are kept",
            "blocked",
        )


_SQL_METHODS = frozenset({"sql", "execute", "query", "from_query", "executemany"})
_SQL_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_SQL_EXTENSIONS = re.compile(r"\b(INSTALL|LOAD|ATTACH)\b", re.IGNORECASE)


def _sql(node: ast.Call, ctx: Context) -> Iterator[Finding]:
    # DuckDB reads any file named in a query ('/etc/passwd', read_csv('../x')) and can
    # load extensions that reach the network, so quoted names in SQL are judged as paths.
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in _SQL_METHODS):
        return
    if not node.args:
        return
    query = node.args[0]
    pieces = (
        [v.value for v in query.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if isinstance(query, ast.JoinedStr)
        else [ctx.static_string(query) or ""]
    )
    for text in pieces:
        for quoted in _SQL_QUOTED.findall(text):
            verdict = judge_path(quoted.replace("''", "'"))
            if verdict is not None:
                status, reason = verdict
                rule = "system-file" if status == "blocked" else "file-outside-workdir"
                yield Finding(node.lineno, rule, f"the query {reason}", status)
        if _SQL_EXTENSIONS.search(text):
            yield Finding(
                node.lineno,
                "sql-extension",
                "the query installs, loads or attaches something beyond the data it was given",
                "needs_approval",
            )
