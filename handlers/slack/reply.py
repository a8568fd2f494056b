"""The Slack side of one request: a progress message kept current, then the results.

The progress message shows the plan as a checklist and a tail of the log. It is edited
at most once a second (Slack's rate limits allow about that for chat.update), the
latest state always wins, and a rate-limited update is simply retried later. The
final messages (charts, tables, code, answer) are retried after a 429 until they land.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models import Dataset, Plan
from bot.reply import Outcome
from handlers.slack import render
from sandbox.events import Event

log = logging.getLogger(__name__)

UPDATE_INTERVAL_S = 1.0
LOG_TAIL = 15
FINAL_ATTEMPTS = 6


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asked to wait, for a 429; None for any other error."""
    response = exc.response
    if response is None or response.status_code != 429:
        return None
    try:
        return float(response.headers.get("Retry-After", "1"))
    except (TypeError, ValueError):
        return 1.0


def call_until_done(
    call: Callable[..., Any], sleep: Callable[[float], None] = time.sleep, **kwargs: Any
) -> Any:
    """A Web API call that must land: waits out rate limits (a few times)."""
    for attempt in range(FINAL_ATTEMPTS):
        try:
            return call(**kwargs)
        except SlackApiError as exc:
            wait = retry_after(exc)
            if wait is None or attempt == FINAL_ATTEMPTS - 1:
                raise
            sleep(min(wait, 30.0))
    raise AssertionError("unreachable")


class SlackReply:
    """Implements bot.reply.Reply for one request in one thread."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        *,
        announce_dataset: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.announce_dataset = announce_dataset
        self.progress_ts: str | None = None
        self.code_text = ""
        self._clock = clock
        self._sleep = sleep
        self._checklist: list[str] = []
        self._done: set[int] = set()
        self._running: int | None = None
        self._failed: int | None = None
        self._tail: deque[str] = deque(maxlen=LOG_TAIL)
        self._queued: int | None = None
        self._note = ""
        self._lock = threading.Lock()  # guards the state above
        self._send_lock = threading.Lock()  # one chat.update in flight
        self._last_update = float("-inf")
        self._paused_until = float("-inf")
        self._timer: threading.Timer | None = None
        self._finished = False

    # Progress

    def start(self, note: str, queued_position: int | None = None) -> None:
        """Posts the progress message the rest of the request edits."""
        self._note, self._queued = note, queued_position
        response = call_until_done(
            self.client.chat_postMessage,
            sleep=self._sleep,
            channel=self.channel,
            thread_ts=self.thread_ts,
            text=note,
            blocks=self._progress_blocks(),
        )
        self.progress_ts = str(response["ts"])
        self._last_update = self._clock()

    def _progress_blocks(self) -> list[dict[str, Any]]:
        return render.progress_blocks(
            self._checklist,
            set(self._done),
            self._running,
            self._failed,
            list(self._tail),
            queued_position=self._queued,
            note=self._note,
        )

    def _update(self, force: bool = False) -> None:
        with self._lock:
            if self.progress_ts is None:
                return
            now = self._clock()
            due = max(self._last_update + UPDATE_INTERVAL_S, self._paused_until)
            if not force and now < due:
                self._schedule(due - now)
                return
        # One send at a time, each with the state as it is when it goes out, so an
        # older state can never land after a newer one.
        with self._send_lock:
            with self._lock:
                blocks = self._progress_blocks()
                self._last_update = self._clock()
            kwargs: dict[str, Any] = {
                "channel": self.channel,
                "ts": self.progress_ts,
                "text": self._note,
            }
            try:
                if force:  # the last state must land: wait out rate limits
                    call_until_done(
                        self.client.chat_update, sleep=self._sleep, blocks=blocks, **kwargs
                    )
                else:
                    self.client.chat_update(blocks=blocks, **kwargs)
            except OSError as exc:  # Slack unreachable for a moment: progress is best effort
                if force:
                    raise
                log.warning("progress update failed: %s", exc)
                return
            except SlackApiError as exc:
                wait = retry_after(exc)
                if wait is None:
                    log.warning("progress update failed: %s", exc.response.get("error"))
                    return
                # Rate limited: a later update carries the latest state anyway.
                with self._lock:
                    self._paused_until = self._clock() + wait
                    self._schedule(wait)

    def _schedule(self, delay: float) -> None:
        """Makes sure a pending change is shown even if nothing else happens."""
        if self._timer is not None or self._finished:
            return

        def flush() -> None:
            self._timer = None
            if self._finished:
                return
            try:
                self._update()
            except Exception as exc:  # best effort: the next update or the answer follows
                log.warning("delayed progress update failed: %s", exc)

        self._timer = threading.Timer(delay, flush)
        self._timer.daemon = True
        self._timer.start()

    def set_note(self, note: str, queued_position: int | None = None) -> None:
        self._note, self._queued = note, queued_position
        self._update()

    # The Reply protocol

    def dataset(self, dataset: Dataset) -> None:
        if self.announce_dataset:
            call_until_done(
                self.client.chat_postMessage,
                sleep=self._sleep,
                channel=self.channel,
                thread_ts=self.thread_ts,
                text=f"{dataset.name}: {dataset.profile.rows:,} rows",
                blocks=render.dataset_blocks(dataset),
            )

    def plan(self, plan: Plan) -> None:
        self._checklist = plan.checklist()
        self._note = plan.summary
        self._queued = None
        self._update(force=True)

    def code(self, code: str) -> None:
        self.code_text = code

    def event(self, event: Event) -> None:
        data = event.data
        if event.type == "step_started":
            self._running = int(data.get("index", 0)) or None
        elif event.type == "step_finished":
            self._done.add(int(data.get("index", 0)))
            self._running = None
        elif event.type == "log":
            text = str(data.get("text", ""))
            self._tail.append(text[:300])
        elif event.type == "queued":
            self._queued = int(data.get("position", 0)) or None
        else:
            return
        self._update()

    def finish(self, outcome: Outcome) -> None:
        self._finished = True
        if self._timer is not None:
            self._timer.cancel()
        if outcome.ok:
            self._done.update(range(1, len(self._checklist) + 1))
            self._running = None
        elif self._running is not None:
            self._failed = self._running
        self._note = {
            "ok": "Done.",
            "needs_approval": "Waiting for an approver.",
            "blocked": "Blocked by the code policy.",
        }.get(outcome.status, "Failed.")
        self._update(force=True)
        self._post_results(outcome)

    def _post_results(self, outcome: Outcome) -> None:
        post = self._upload
        for image in outcome.images:
            post(file=str(image), filename=Path(image).name, title=Path(image).stem)
        for table in outcome.tables:
            if table.csv_path is not None and table.total_rows > len(table.rows):
                post(
                    file=str(table.csv_path),
                    filename=Path(table.csv_path).name,
                    title=table.title or table.name,
                )
        if outcome.code:
            post(
                content=outcome.code,
                filename="analysis.py",
                title="The code",
                snippet_type="python",
            )
        if outcome.status in {"ok", "error"}:
            call_until_done(
                self.client.chat_postMessage,
                sleep=self._sleep,
                channel=self.channel,
                thread_ts=self.thread_ts,
                text=render.fallback_text(outcome.answer or outcome.message or "Finished."),
                blocks=render.answer_blocks(outcome, run_id=outcome.run_id),
            )

    def _upload(self, **kwargs: Any) -> None:
        try:
            call_until_done(
                self.client.files_upload_v2,
                sleep=self._sleep,
                channel=self.channel,
                thread_ts=self.thread_ts,
                **kwargs,
            )
        except SlackApiError as exc:  # one failed upload must not cost the answer
            log.warning("upload of %s failed: %s", kwargs.get("filename"), exc)
