"""What the bot does with what arrives from Slack, independent of how it arrived.

Listeners (app.py) hand events here and return at once, so Slack's 3-second ack is
never at risk; analyses run on a bounded pool, and a request that waits is told its
place in the queue. The thread is the conversation: files shared into it become its
datasets, and questions in it see its earlier turns. Every failure ends as one clear
message in the thread; the bot keeps serving.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import re
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import ThreadLabError
from bot.ingest import ingest
from bot.models import Request
from bot.pipeline import Pipeline
from bot.settings import Settings
from handlers.slack import render
from handlers.slack.files import download
from handlers.slack.reply import SlackReply, call_until_done

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_FENCED = re.compile(r"```(?:python|py)?[ \t]*\n?(.*?)```", re.S)
# Message subtypes that carry a person's words; edits, joins and bot posts do not.
_PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
_FORGET = {"forget", "忘记", "清除"}


@dataclass
class Incoming:
    channel: str
    thread_ts: str  # the conversation: the thread, or the message that starts one
    user: str
    text: str
    files: list[dict[str, Any]] = field(default_factory=list)
    ts: str = ""  # the message itself, to mark it as received

    @property
    def thread(self) -> str:
        return f"{self.channel}:{self.thread_ts}"


def unescape(text: str) -> str:
    """Message text as the person typed it: Slack sends & < > as entities (the only
    three it escapes), which would break a fenced `if a < b:`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fenced_code(text: str) -> str | None:
    match = _FENCED.search(text)
    return match.group(1).strip() + "\n" if match else None


class SlackService:
    def __init__(self, settings: Settings, pipeline: Pipeline, client: WebClient) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.store = pipeline.store
        self.client = client
        self.bot_user_id = ""
        self._workers = settings.sandbox_workers
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="threadlab-analysis")
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: deque[SlackReply] = deque()
        self._futures: set[concurrent.futures.Future[None]] = set()
        # Listeners only queue what arrives; one intake thread then reacts, posts the
        # progress message and hands the request to the pool. Fifty events at once then
        # cost the listener threads (and Slack's acks) almost nothing.
        self._intake: queue.SimpleQueue[Incoming | None] = queue.SimpleQueue()
        self._intake_thread = threading.Thread(
            target=self._take_in, name="threadlab-intake", daemon=True
        )
        self._intake_thread.start()

    def connect(self) -> None:
        self.bot_user_id = str(self.client.auth_test()["user_id"])

    @property
    def queued(self) -> int:
        """Requests waiting for a free worker."""
        with self._lock:
            return len(self._waiting)

    def close(self, timeout: float | None = None) -> None:
        """Stops taking requests and waits for the ones in flight (up to `timeout`
        seconds; what is still running then is left to the process's exit)."""
        self._intake.put(None)
        self._intake_thread.join(timeout=30)
        with self._lock:
            futures = list(self._futures)
        _, pending = concurrent.futures.wait(futures, timeout=timeout)
        if pending:
            log.warning("%d request(s) still running at shutdown", len(pending))
        self._pool.shutdown(wait=not pending, cancel_futures=True)

    def tell_interrupted(self, runs: list[dict[str, Any]]) -> None:
        """Says in each thread that a request was cut short by a restart."""
        for run in runs:
            thread = str(run.get("thread") or "")
            channel, _, thread_ts = thread.partition(":")
            if not channel or not thread_ts:
                continue
            try:
                self._say(
                    Incoming(channel, thread_ts, str(run.get("user") or ""), ""),
                    f"ThreadLab restarted while working on “{run.get('question', '')}”; "
                    "that run was interrupted. Please ask again.",
                )
            except SlackApiError as exc:
                log.warning("could not tell %s about an interrupted run: %s", thread, exc)

    def _take_in(self) -> None:
        while (incoming := self._intake.get()) is not None:
            try:
                self._mark_received(incoming)
                self.submit(incoming)
            except Exception:  # one bad event must not stop the intake
                log.exception("could not take in a request in %s", incoming.thread)

    # Events

    def on_event(self, body: dict[str, Any], event: dict[str, Any], kind: str) -> None:
        """A mention, a DM, or a message in a channel; returns at once."""
        event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
        incoming = self._incoming(event, kind)
        if incoming is None or not self.store.claim_event(event_id):
            return  # not for us, or a redelivery of an event already handled
        refusal = self._refusal(incoming)
        if refusal:
            self._ephemeral(incoming, refusal)
            return
        self._intake.put(incoming)

    def _mark_received(self, incoming: Incoming) -> None:
        try:  # 👀 on the message: seen, even before the progress message appears
            self.client.reactions_add(channel=incoming.channel, timestamp=incoming.ts, name="eyes")
        except SlackApiError as exc:
            log.info("could not react to %s: %s", incoming.ts, exc)

    def _incoming(self, event: dict[str, Any], kind: str) -> Incoming | None:
        if event.get("bot_id") or event.get("user") in (None, self.bot_user_id):
            return None  # bots, ourselves included
        if event.get("subtype") not in _PERSON_SUBTYPES:
            return None
        text = unescape(str(event.get("text") or ""))
        channel = str(event["channel"])
        thread_ts = str(event.get("thread_ts") or event["ts"])
        incoming = Incoming(
            channel, thread_ts, str(event["user"]), text, event.get("files") or [], str(event["ts"])
        )
        if kind == "message":
            is_dm = event.get("channel_type") == "im"
            if not is_dm:
                if self.bot_user_id and f"<@{self.bot_user_id}>" in text:
                    return None  # app_mention delivers this one
                # In a channel, only files shared into a thread the bot is part of.
                if not incoming.files or not self.store.thread_datasets(incoming.thread):
                    return None
        return incoming

    def _refusal(self, incoming: Incoming) -> str:
        channels = self.settings.id_list("allowed_channels")
        users = self.settings.id_list("allowed_users")
        if channels and incoming.channel not in channels and not incoming.channel.startswith("D"):
            return "ThreadLab is not enabled in this channel."
        if users and incoming.user not in users:
            return "ThreadLab is not enabled for you; ask an administrator."
        return ""

    # Work

    def submit(self, incoming: Incoming, request: Request | None = None) -> None:
        reply = SlackReply(self.client, incoming.channel, incoming.thread_ts)
        with self._lock:
            busy = self._running + len(self._waiting) >= self._workers
            position = len(self._waiting) + 1 if busy else None
            if busy:
                self._waiting.append(reply)
        try:
            note = f"Queued: position {position}." if position else "Working on it…"
            reply.start(note, queued_position=position)
        except SlackApiError as exc:
            log.warning("could not post progress in %s: %s", incoming.thread, exc)
        future = self._pool.submit(self._work, incoming, reply, request)
        with self._lock:
            self._futures = {f for f in self._futures if not f.done()} | {future}

    def _started(self, reply: SlackReply) -> None:
        with self._lock:
            if reply in self._waiting:
                self._waiting.remove(reply)
            self._running += 1
            still_waiting = list(self._waiting)
        for place, waiting in enumerate(still_waiting, start=1):
            waiting.set_note(f"Queued: position {place}.", place)

    def _work(self, incoming: Incoming, reply: SlackReply, request: Request | None) -> None:
        self._started(reply)
        try:
            reply.set_note("Working on it…")
            self._answer(incoming, reply, request)
        except ThreadLabError as exc:
            self._say(incoming, exc.user_message)
        except Exception:  # the bot keeps serving whatever one request does
            log.exception("request in %s failed", incoming.thread)
            self._say(incoming, "Something went wrong on ThreadLab's side; it has been logged.")
        finally:
            with self._lock:
                self._running -= 1

    def _answer(self, incoming: Incoming, reply: SlackReply, request: Request | None) -> None:
        if request is None:
            request = self._request(incoming, reply)
            if request is None:
                return
        outcome = self.pipeline.ask(request, reply)
        if outcome.status == "needs_approval":
            self.store.hold_for_approval(
                outcome.run_id,
                incoming.thread,
                incoming.user,
                request.model_dump(mode="json"),
            )
            call_until_done(
                self.client.chat_postMessage,
                channel=incoming.channel,
                thread_ts=incoming.thread_ts,
                text="This code needs an approver's OK before it runs.",
                blocks=render.approval_blocks(outcome.findings, outcome.run_id, incoming.user),
            )
        elif outcome.status == "blocked":
            self._say(incoming, outcome.message)

    def _request(self, incoming: Incoming, reply: SlackReply) -> Request | None:
        """The request to run, or None when this message only needed an answer."""
        added = [self._register(incoming, f, reply) for f in incoming.files]
        text = _MENTION.sub("", incoming.text).strip()
        if text.lower() in _FORGET:
            self._forget(incoming)
            reply.set_note("Forgotten.")
            return None
        datasets = self.store.thread_datasets(incoming.thread)
        code = fenced_code(text)
        question = _FENCED.sub("", text).strip() or ("Run this code" if code else "")
        if not question:
            names = ", ".join(a for a in added) or "nothing yet"
            self._say(
                incoming,
                f"Got {names}. Ask me a question about it in this thread."
                if added
                else render.help_text(),
            )
            reply.set_note("Waiting for a question.")
            return None
        if not datasets:
            self._say(incoming, "Upload a CSV, Excel or Parquet file into this thread first.")
            reply.set_note("No data yet.")
            return None
        chosen = _named(datasets, question)
        if chosen is None:
            if len(datasets) > 1:
                names = ", ".join(f"`{render.escape(d['name'])}`" for d in datasets)
                self._say(incoming, f"This thread has several files ({names}): which one?")
                reply.set_note("Waiting for the file's name.")
                return None
            chosen = datasets[0]
        reply.announce_dataset = chosen["name"] in added
        return Request(
            data=Path(chosen["path"]),
            question=question,
            thread=incoming.thread,
            user=incoming.user,
            code=code,
        )

    def _register(self, incoming: Incoming, file: dict[str, Any], reply: SlackReply) -> str:
        folder = self.settings.resolved_data_dir() / "uploads" / _folder(incoming.thread)
        path = download(
            file,
            token=self.settings.slack_bot_token.get_secret_value(),
            api_url=self.settings.slack_api_url,
            folder=folder,
            max_mb=self.settings.max_upload_mb,
        )
        # Bad files are refused here, clearly; a large one shows its conversion's progress
        # in the thread's progress message (edits are throttled there).
        dataset = ingest(path, self.settings, progress=reply.set_note)
        self.store.add_thread_dataset(
            incoming.thread, dataset.id, path.name.split("_", 1)[-1], str(path), incoming.user
        )
        return path.name.split("_", 1)[-1]

    def _forget(self, incoming: Incoming) -> None:
        removed = self.store.forget_thread(incoming.thread)
        for dataset in removed:
            Path(dataset["path"]).unlink(missing_ok=True)
        self._say(incoming, f"Forgot {len(removed)} file(s) of this thread.")

    # Approvals, code, commands, home

    def decide(self, body: dict[str, Any], action: dict[str, Any], decision: str) -> None:
        user = str(body["user"]["id"])
        run_id = str(action.get("value", ""))
        channel = str(body.get("channel", {}).get("id", ""))
        message = body.get("message") or {}
        thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
        pending = self.store.approval(run_id)
        if pending is None:
            self._ephemeral_to(channel, user, "That request is no longer known.")
            return
        if not self._may_approve(user, str(pending["requester"])):
            self._ephemeral_to(channel, user, "Only a configured approver can decide this.")
            return
        decided = self.store.decide(run_id, decision, user)
        if decided is None:
            current = self.store.approval(run_id) or {}
            self._ephemeral_to(
                channel, user, f"Already {current.get('status', 'decided')}; nothing to do."
            )
            return
        if self.pipeline.metrics is not None:
            self.pipeline.metrics.observe_approval(
                str(decided["created_at"]), str(decided["decided_at"])
            )
        call_until_done(
            self.client.chat_update,
            channel=channel,
            ts=str(message.get("ts", "")),
            text=f"{decision.capitalize()}.",
            blocks=render.decision_blocks(run_id, decision, user),
        )
        if decision == "approved":
            request = Request.model_validate({**decided["request"], "approved": True})
            incoming = Incoming(channel, thread_ts, str(decided["requester"]), "")
            self.submit(incoming, request)

    def _may_approve(self, user: str, requester: str) -> bool:
        if user == requester and self.settings.approvers_include_requester:
            return True
        for approver in self.settings.id_list("approvers"):
            if approver == user:
                return True
            if approver.startswith("S") and user in self._group_members(approver):
                return True
        return False

    def _group_members(self, group: str) -> set[str]:
        try:
            return set(self.client.usergroups_users_list(usergroup=group).get("users", []))
        except SlackApiError as exc:
            log.warning("cannot read user group %s: %s", group, exc)
            return set()

    def show_code(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        try:
            run = self.store.get_run(str(action.get("value", "")))
        except ThreadLabError:
            return
        self.client.views_open(
            trigger_id=body["trigger_id"], view=render.code_modal(str(run.get("code") or ""))
        )

    def command(self, command: dict[str, Any]) -> str:
        """The text of the reply to `/threadlab ...` (shown only to the one who asked)."""
        words = str(command.get("text") or "").split()
        verb = words[0].lower() if words else "help"
        channel = str(command.get("channel_id", ""))
        if verb == "datasets":
            lines = []
            for thread in self.store.threads_in(f"{channel}:"):
                for d in self.store.thread_datasets(thread):
                    lines.append(
                        f"• {render.escape(str(d['name']))} (thread {thread.split(':')[1]})"
                    )
            return "\n".join(lines) or "No files in this channel yet."
        if verb == "history":
            runs = self.store.user_runs(str(command.get("user_id", "")), 10)
            return (
                "\n".join(
                    f"• {r['created_at']} {r['status']}: {render.escape(str(r['question']))}"
                    for r in runs
                )
                or "No runs yet."
            )
        if verb == "rerun":
            return self._rerun(words[1] if len(words) > 1 else "", channel, command)
        if verb == "forget":
            count = 0
            for thread in self.store.threads_in(f"{channel}:"):
                for d in self.store.forget_thread(thread):
                    Path(d["path"]).unlink(missing_ok=True)
                    count += 1
            return f"Forgot {count} file(s) in this channel."
        return render.help_text()

    def _rerun(self, run_id: str, channel: str, command: dict[str, Any]) -> str:
        """Replays a stored run's code in the thread it came from."""
        try:
            run = self.store.get_run(run_id)
        except ThreadLabError:
            return f"There is no run {render.escape(run_id)}."
        thread_channel, _, thread_ts = str(run.get("thread") or "").partition(":")
        # A run's data belongs to its thread: only that thread's channel can reach it.
        if thread_channel != channel or not thread_ts:
            return "That run did not happen in this channel."
        row = self.store.dataset_row(str(run.get("dataset_id") or ""))
        if row is None or not Path(str(row["source_path"])).exists():
            return "That run's file is gone (forgotten or expired)."
        user = str(command.get("user_id", ""))
        request = Request(
            data=Path(str(row["source_path"])),
            question=f"Rerun of {run_id}: {run['question']}",
            thread=str(run["thread"]),
            user=user,
            replay_of=run_id,
        )
        self.submit(Incoming(channel, thread_ts, user, ""), request)
        return f"Running {render.escape(run_id)} again in its thread."

    def home(self, user: str) -> None:
        self.client.views_publish(user_id=user, view=render.home_view(self.store.user_runs(user)))

    # Messages

    def _say(self, incoming: Incoming, text: str) -> None:
        call_until_done(
            self.client.chat_postMessage,
            channel=incoming.channel,
            thread_ts=incoming.thread_ts,
            text=render.escape(text),
        )

    def _ephemeral(self, incoming: Incoming, text: str) -> None:
        self._ephemeral_to(incoming.channel, incoming.user, text)

    def _ephemeral_to(self, channel: str, user: str, text: str) -> None:
        try:
            self.client.chat_postEphemeral(channel=channel, user=user, text=render.escape(text))
        except SlackApiError as exc:
            log.warning("ephemeral message failed: %s", exc)


def _named(datasets: list[dict[str, Any]], question: str) -> dict[str, Any] | None:
    lowered = question.lower()
    named = [
        d
        for d in datasets
        if str(d["name"]).lower() in lowered or Path(str(d["name"])).stem.lower() in lowered
    ]
    return named[-1] if named else None


def _folder(thread: str) -> str:
    return re.sub(r"[^\w.-]", "_", thread)
