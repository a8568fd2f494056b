"""Downloading a file shared in Slack into the thread's folder, within limits.

Slack serves private files from `url_private_download` to a bearer token with
files:read; without it, it answers 200 with its HTML login page, which must not be
mistaken for data. With SLACK_API_URL set, the download goes to that server too.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.errors import FileTooLarge, IngestError, UnsupportedFileType
from bot.ingest.sniff import EXTENSIONS, SUPPORTED
from bot.settings import MIB

CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


class DownloadFailed(IngestError):
    """Slack did not hand over the file."""


def safe_name(name: str) -> str:
    """A file name that stays inside the folder it is written to."""
    base = os.path.basename(name.replace("\\", "/")).strip(". ")
    return _UNSAFE.sub("_", base)[:120] or "upload"


def download_url(file: dict[str, Any], api_url: str) -> str:
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url:
        raise DownloadFailed(f"{file.get('name', 'the file')} has no download link.")
    if api_url:
        # Every Slack call goes to the configured server, downloads included.
        base = urlsplit(api_url)
        parts = urlsplit(url)
        url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
    return url


def check_file(file: dict[str, Any], max_mb: int) -> str:
    """The file's safe name, or an IngestError saying why it will not be read."""
    name = safe_name(str(file.get("name") or file.get("title") or "upload"))
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in EXTENSIONS:
        raise UnsupportedFileType(
            f"{name} cannot be read: {suffix} files are not supported. ThreadLab reads {SUPPORTED}."
        )
    size = int(file.get("size") or 0)
    if size > max_mb * MIB:
        raise FileTooLarge(f"{name} is {size / MIB:,.1f} MB, over the {max_mb} MB upload limit.")
    return name


def download(file: dict[str, Any], *, token: str, api_url: str, folder: Path, max_mb: int) -> Path:
    """Fetches the file into `folder` (atomically) and returns its path."""
    name = check_file(file, max_mb)
    url = download_url(file, api_url)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{file.get('id', 'F')}_{name}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".download-")
    try:
        # The URL comes from Slack's file object, or points at the configured API server.
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=60) as response:
            received = 0
            first = True
            while chunk := response.read(CHUNK):
                head = chunk.lstrip()[:15].lower()
                if first and head.startswith((b"<!doctype html", b"<html")):
                    raise DownloadFailed(_login_page(name))
                first = False
                received += len(chunk)
                if received > max_mb * MIB:
                    raise FileTooLarge(f"{name} is over the {max_mb} MB upload limit.")
                out.write(chunk)
        os.replace(temporary, target)
    except urllib.error.URLError as exc:
        raise DownloadFailed(f"{name} could not be downloaded from Slack: {exc}.") from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def _login_page(name: str) -> str:
    return (
        f"{name} could not be downloaded: Slack answered with its sign-in page. The bot "
        "token needs the files:read scope (see manifest.yml)."
    )
