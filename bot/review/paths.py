"""Judges one file name: inside the work dir, outside it, or somewhere never allowed."""

from __future__ import annotations

import re

from bot.review.result import Status

# Where the host keeps processes, devices, configuration and secrets, plus the home dir.
_SYSTEM_PREFIXES = ("/proc", "/sys", "/dev", "/etc", "~")
_NETWORK = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_WINDOWS_ABSOLUTE = re.compile(r"^[a-z]:[\\/]", re.IGNORECASE)


def judge_path(path: str) -> tuple[Status, str] | None:
    """None for a plain relative name in the work dir, else a status and the reason."""
    if _NETWORK.match(path) and not path.lower().startswith("file://"):
        return "blocked", f"reaches the network ({path!r}); runs have no network access"
    text = path.removeprefix("file://")
    if text.startswith(_SYSTEM_PREFIXES) and _is_under_prefix(text):
        return "blocked", f"opens {path!r}, a system or home location runs must never read"
    if ".." in re.split(r"[\\/]", text):
        return "blocked", f"opens {path!r}, which climbs out of the work folder with '..'"
    if text.startswith(("/", "\\")) or _WINDOWS_ABSOLUTE.match(text):
        return "needs_approval", f"opens {path!r}, a file outside the work folder"
    return None


def _is_under_prefix(text: str) -> bool:
    # "/etc" and "/etc/passwd" count, "/etcetera" does not; "~" and "~user/..." both do.
    if text.startswith("~"):
        return True
    return any(text == p or text.startswith(p + "/") for p in _SYSTEM_PREFIXES)
