"""Members of os, sys, shutil, glob and tempfile: which are blocked, ok or need a look."""

from __future__ import annotations

from bot.review.policy import (
    BLOCKED_MEMBER_PREFIXES,
    JUDGED_MODULES,
    OK_MEMBERS,
    PATH_CALLS,
)
from bot.review.result import Finding


def judge(qualname: str, line: int) -> Finding | None:
    """A finding for a use of a judged module's member (`os.system`), or None if fine."""
    top = qualname.split(".")[0]
    if top not in JUDGED_MODULES or "." not in qualname:
        return None
    if any(qualname == p or qualname.startswith(p) for p in BLOCKED_MEMBER_PREFIXES):
        return Finding(line, "system-call", _blocked_reason(qualname), "blocked")
    # A longer chain (`os.path.join.__doc__`, `sys.stdout.write`) is judged by its
    # shortest known prefix, so methods of an allowed object stay allowed.
    known = OK_MEMBERS | PATH_CALLS.keys()
    if any(k.startswith(qualname + ".") for k in known):
        return None  # a namespace such as os.path: its members are judged where used
    parts = qualname.split(".")
    for end in range(len(parts), 1, -1):
        prefix = ".".join(parts[:end])
        if prefix in OK_MEMBERS or prefix in PATH_CALLS:
            return None
    return Finding(
        line,
        "system-use",
        f"uses {qualname}, which reaches beyond the analysis (environment, other files "
        "or the interpreter); someone should check it",
        "needs_approval",
    )


def _blocked_reason(qualname: str) -> str:
    if qualname.startswith("sys."):
        return f"uses {qualname}, which reaches the interpreter's internals to get around checks"
    return f"uses {qualname}, which starts, stops or controls other programs"
