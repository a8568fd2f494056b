"""What the rules need to know about a module: import aliases, constants, parents."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Context:
    """Facts gathered once per module so each rule stays a simple check of one node."""

    tree: ast.Module
    # Local name -> the dotted name it stands for ("pd" -> "pandas", "s" -> "os.system").
    aliases: dict[str, str] = field(default_factory=dict)
    # Names assigned exactly once in the whole module, to a string literal (DATA = "x.parquet").
    constants: dict[str, str] = field(default_factory=dict)
    # Every name the code binds itself (assignments, parameters, defs, loop targets).
    bound: set[str] = field(default_factory=set)
    # id() of nodes that are the `.value` of an Attribute, i.e. not the end of a chain.
    chained: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, tree: ast.Module) -> Context:
        ctx = cls(tree)
        stores: Counter[str] = Counter()
        single: dict[str, ast.expr] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    # `import os.path` binds `os`; `import os.path as p` binds p to os.path.
                    local = a.asname or a.name.split(".")[0]
                    ctx.aliases[local] = a.name if a.asname else local
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        ctx.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Attribute):
                ctx.chained.add(id(node.value))
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] += 1
                ctx.bound.add(node.id)
            elif isinstance(node, ast.arg):
                ctx.bound.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                ctx.bound.add(node.name)
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stores[stmt.targets[0].id] == 1
            ):
                single[stmt.targets[0].id] = stmt.value
        # Top to bottom, so `OUT = Path("results")` then `CSV = OUT / "a.csv"` resolves.
        # A name re-bound anywhere may hold something else by the time it is used.
        for name, value in single.items():
            text = ctx.static_string(value)
            if text is not None:
                ctx.constants[name] = text
        return ctx

    def qualname(self, node: ast.expr) -> str | None:
        """`pd.io.common.os` -> "pandas.io.common.os"; None when the root is not a name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    def is_chain_end(self, node: ast.expr) -> bool:
        return id(node) not in self.chained

    def static_string(self, node: ast.expr) -> str | None:
        """The text of an expression known before running: literals, constants, joins."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Div):
            left, right = self.static_string(node.left), self.static_string(node.right)
            if left is None or right is None:
                return None
            return f"{left}/{right}" if isinstance(node.op, ast.Div) else left + right
        if (
            isinstance(node, ast.Call)
            and not node.keywords
            and node.args
            and self.qualname(node.func) in ("os.path.join", "pathlib.Path", "pathlib.PurePath")
        ):
            pieces = [self.static_string(a) for a in node.args]
            if all(p is not None for p in pieces):
                return "/".join(p for p in pieces if p is not None)
        return None
