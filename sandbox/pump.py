"""Reads a run's stdout, stderr and event pipe while it runs, with caps on each.

Everything happens on the caller's thread with a selector, so `on_event` is called on
the thread that called `Executor.run`. Events keep their order within each channel;
between stdout, stderr and the event pipe no order can be known, so none is promised.
"""

from __future__ import annotations

import os
import selectors
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.events import Event

READ_CHUNK = 64 * 1024
# A printed line longer than this is sent as several log events, so a consumer never
# holds one huge string; the output cap still counts every byte.
LOG_LINE_MAX = 16 * 1024
# An event line longer than this is dropped whole (a table event carries 50 rows).
EVENT_LINE_MAX = 1024 * 1024
# Events past this many bytes in one run are dropped: the output cap does not cover
# the event pipe, and a run must not flood the host through it either.
EVENT_BYTES_MAX = 16 * 1024 * 1024
# Event types only the host may make; a program writing them to the pipe is ignored.
HOST_EVENTS = frozenset({"log", "queued"})


def _utf8_cut(data: bytes | bytearray, limit: int) -> int:
    """The largest cut at or below `limit` that does not split a UTF-8 character."""
    cut = limit
    # Continuation bytes are 0b10xxxxxx; a character's first byte is at most 3 back.
    while cut > limit - 3 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut


@dataclass
class _Output:
    name: str  # "stdout" | "stderr"
    fd: int
    pending: bytearray = field(default_factory=bytearray)  # the line being assembled
    kept: bytearray = field(default_factory=bytearray)  # all of it, within the cap


@dataclass
class _Events:
    fd: int
    pending: bytearray = field(default_factory=bytearray)
    skipping: bool = False  # inside a line that was too long, until its newline
    received: int = 0


class OutputPump:
    """Turns the child's pipes into events; stops keeping output at `output_cap`."""

    def __init__(
        self,
        stdout_fd: int,
        stderr_fd: int,
        events_fd: int,
        output_cap: int,
        emit: Callable[[Event], None],
    ) -> None:
        self._emit = emit
        self._cap = output_cap
        self._total = 0
        self.over_limit = False
        self._sel = selectors.DefaultSelector()
        self._out = {
            stdout_fd: _Output("stdout", stdout_fd),
            stderr_fd: _Output("stderr", stderr_fd),
        }
        self._events = _Events(events_fd)
        for fd in (stdout_fd, stderr_fd, events_fd):
            os.set_blocking(fd, False)
            self._sel.register(fd, selectors.EVENT_READ)
        self._open = {stdout_fd, stderr_fd, events_fd}
        self._wakeups: set[int] = set()

    def wake_on(self, fd: int) -> None:
        """Also return from `poll` when `fd` becomes readable (a pidfd at exit)."""
        self._sel.register(fd, selectors.EVENT_READ)
        self._wakeups.add(fd)

    def stop_waking(self) -> None:
        """Forgets the wakeup fds (a pidfd stays readable once its process exited)."""
        for fd in self._wakeups:
            self._sel.unregister(fd)
        self._wakeups.clear()

    @property
    def finished(self) -> bool:
        """Every pipe reached end of file: no process holds a write end any more."""
        return not self._open

    def poll(self, timeout: float) -> bool:
        """Handles whatever is readable within `timeout`; True if a wakeup fd fired."""
        woke = False
        for key, _ in self._sel.select(max(0.0, timeout)):
            fd = key.fd
            if fd in self._wakeups:
                woke = True
                continue
            try:
                chunk = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                self._eof(fd)
            elif fd == self._events.fd:
                self._event_bytes(chunk)
            else:
                self._output_bytes(self._out[fd], chunk)
        return woke

    def _eof(self, fd: int) -> None:
        self._sel.unregister(fd)
        self._open.discard(fd)
        if fd in self._out:
            self._flush(self._out[fd], final=True)
        # An event line without its newline at EOF is incomplete: dropped.

    def _output_bytes(self, out: _Output, chunk: bytes) -> None:
        if self.over_limit:
            return  # read and discarded, so the child is not blocked before it dies
        room = self._cap - self._total
        if len(chunk) > room:
            chunk = chunk[:room]
            self.over_limit = True
        self._total += len(chunk)
        out.kept += chunk
        out.pending += chunk
        self._flush(out, final=self.over_limit)

    def _flush(self, out: _Output, final: bool) -> None:
        while True:
            newline = out.pending.find(b"\n")
            if newline >= 0:
                cut, skip = newline, 1
            elif len(out.pending) > LOG_LINE_MAX:
                cut, skip = _utf8_cut(out.pending, LOG_LINE_MAX), 0
            elif final and out.pending:
                cut, skip = len(out.pending), 0
            else:
                return
            text = bytes(out.pending[:cut]).decode("utf-8", errors="replace")
            del out.pending[: cut + skip]
            self._emit(Event("log", {"stream": out.name, "text": text}))

    def _event_bytes(self, chunk: bytes) -> None:
        ev = self._events
        ev.received += len(chunk)
        if ev.received > EVENT_BYTES_MAX:
            ev.pending.clear()
            return
        ev.pending += chunk
        while (newline := ev.pending.find(b"\n")) >= 0:
            line = bytes(ev.pending[:newline])
            del ev.pending[: newline + 1]
            if ev.skipping:
                ev.skipping = False
                continue
            event = parse_event_line(line)
            if event is not None:
                self._emit(event)
        if len(ev.pending) > EVENT_LINE_MAX:
            ev.pending.clear()
            ev.skipping = True

    def text(self, stream: str) -> str:
        for out in self._out.values():
            if out.name == stream:
                return bytes(out.kept).decode("utf-8", errors="replace")
        raise KeyError(stream)

    def close(self) -> None:
        self._sel.close()


def parse_event_line(line: bytes) -> Event | None:
    """An event from the pipe, or None for anything malformed (never fatal)."""
    if len(line) > EVENT_LINE_MAX:
        return None
    try:
        event = Event.from_json(line.decode("utf-8"))
    except (ValueError, TypeError, RecursionError):
        return None
    # Log events stand for what the program printed; only the host makes them, so that
    # each one is real output counted against the output cap. Queue places are the
    # host's to tell, too.
    return None if event.type in HOST_EVENTS else event
