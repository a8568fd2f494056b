"""Imports of modules this host does not have: the code could only fail, so it never runs.

Jobs run on the bot's own interpreter and nothing is ever installed from inside a job, so
a missing module is for an operator to add; the finding names the pip line to do it.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator, Mapping
from importlib.metadata import packages_distributions
from importlib.util import find_spec

from bot.review import imports
from bot.review.context import Context
from bot.review.result import Finding

# Import names whose distribution is called something else. Only consulted for modules
# that are missing, when the installed metadata cannot say which distribution they need.
DISTRIBUTIONS: dict[str, str] = {
    "sklearn": "scikit-learn",
    "PIL": "Pillow",
    "cv2": "opencv-python-headless",  # no GUI libraries on a server
    "yaml": "PyYAML",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "Crypto": "pycryptodome",
}

_IMPORT_BY_NAME = "importlib.import_module"


def check(ctx: Context) -> Iterator[Finding]:
    for line, name in _imported(ctx):
        top = name.split(".")[0]
        # Blocked modules already have their own finding, and a second one telling an
        # operator how to install something that may never run would only mislead.
        if not top.isidentifier() or imports.blocked(top) or is_installed(top):
            continue
        yield Finding(line, "missing-package", _reason(top), "blocked")


def _imported(ctx: Context) -> Iterator[tuple[int, str]]:
    """Every absolute module name the code imports, with its line."""
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            # Relative imports name the job's own files, which are not packages to install.
            if node.module and not node.level:
                yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call) and node.args and ctx.qualname(node.func) == _IMPORT_BY_NAME
        ):
            name = ctx.static_string(node.args[0])
            if name and not name.startswith("."):
                yield node.lineno, name


def is_installed(top: str) -> bool:
    """Whether this interpreter, the one jobs run on, can import top-level module `top`."""
    if top in sys.stdlib_module_names:
        return True
    try:
        # A top-level name has no parent package to import, so finding it runs no code.
        return find_spec(top) is not None
    except ValueError:
        return True  # already imported but without a spec (such as __main__): it is here


def _reason(top: str) -> str:
    recorded = list(dict.fromkeys(_distributions().get(top, [])))
    if recorded:
        # The metadata survives but the module does not: a plain install would be a no-op.
        names = " ".join(recorded)
        return (
            f"{top} cannot be imported on this host although {names} is recorded as "
            f"installed; an operator can repair it with: pip install --force-reinstall {names}"
        )
    dist = DISTRIBUTIONS.get(top, top)
    return f"{top} is not installed on this host; an operator can add it with: pip install {dist}"


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    # Reading every distribution's file list scans all of site-packages; once per process.
    return packages_distributions()
