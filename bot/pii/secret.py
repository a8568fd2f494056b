"""The installation's tokenisation key: random, made once, readable by the bot alone."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

KEY_FILE = "pii.key"
KEY_BYTES = 32


def installation_secret(data_dir: Path) -> bytes:
    """The key in `<data_dir>/pii.key`, created (mode 600) on first use.

    Tokens are HMACs under this key: the same value gets the same token across every
    file of this installation, and nobody without the key can test a guess. Losing the
    file means new tokens for new uploads (old caches keep theirs).
    """
    path = data_dir / KEY_FILE
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        _publish(path, secrets.token_bytes(KEY_BYTES))
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} is not a ThreadLab key ({len(key)} bytes)")
    return key


def _publish(path: Path, key: bytes) -> None:
    # Written whole to a private temp file, then linked into place: link() fails if the
    # name exists, so two processes starting at once agree on one key, and no reader
    # ever sees half of one.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".pii.key.")  # mode 600
    try:
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process won: its key it is
            os.link(name, path)
    finally:
        os.unlink(name)
