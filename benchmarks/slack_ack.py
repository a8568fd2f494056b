"""Slack acknowledgement under load: 50 mentions (each with a file, each its own thread)
injected at once through a local fake Socket Mode server, into (a) a bare Bolt app whose
listener does nothing, the baseline, and (b) the ThreadLab bot, whose analyses queue on
a pool of THREADLAB_SANDBOX_WORKERS. Prints ack latency p50/p99 of both, ThreadLab's time
to the first reply in each thread and to the last answer, and the p99 ratio last.

    .venv/bin/python benchmarks/slack_ack.py [--events 50]

Only 127.0.0.1 is contacted: the fake server lives in tests/fakes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.assembly import build_pipeline  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.slack.app import build_app, web_client  # noqa: E402
from handlers.slack.service import SlackService  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402

# Socket Mode handler threads; events arrive together, so each waits for a free one.
CONCURRENCY = 10
SALES = (ROOT / "examples" / "sales_daily.csv").read_bytes()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def burst(fake: FakeSlack, events: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Sends `events` mentions at once; returns ack latencies and the events. One event
    goes first and alone: a connection's first ack pays for warming up, not load."""
    fake.wait_for_ack(fake.send_event(fake.app_mention("hello", channel="C0")), timeout=30)
    sent = []
    for _ in range(events):
        file = fake.add_file("sales.csv", SALES)
        sent.append(fake.app_mention("total sales by region", files=[file]))
    with ThreadPoolExecutor(events) as pool:
        envelopes = list(pool.map(lambda e: fake.send_event(e, timeout=30), sent))
    return [fake.wait_for_ack(e, timeout=30) for e in envelopes], sent


def baseline(events: int) -> list[float]:
    with FakeSlack() as fake:
        client = web_client(Settings(_env_file=None, slack_api_url=fake.url), fake.bot_token)  # type: ignore[call-arg]
        app = App(client=client, request_verification_enabled=False)

        @app.event("app_mention")
        def nothing() -> None:
            return None

        handler = SocketModeHandler(
            app,
            fake.app_token,
            web_client=web_client(
                Settings(_env_file=None, slack_api_url=fake.url),
                fake.app_token,  # type: ignore[call-arg]
            ),
        )
        handler.connect()
        fake.connected.wait(10)
        acks, _ = burst(fake, events)
        handler.close()
    return acks


def threadlab(events: int) -> tuple[list[float], list[float], float]:
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as home:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(home) / "data",
            db_path=Path(home) / "t.db",
            slack_bot_token=fake.bot_token,
            slack_app_token=fake.app_token,
            slack_api_url=fake.url,
        )
        pipeline = build_pipeline(settings)
        pipeline.executor.warm()  # type: ignore[attr-defined]
        service = SlackService(settings, pipeline, web_client(settings, fake.bot_token))
        service.connect()
        handler = SocketModeHandler(
            build_app(settings, service),
            fake.app_token,
            web_client=web_client(settings, fake.app_token),
            concurrency=CONCURRENCY,
        )
        handler.connect()
        fake.connected.wait(10)
        started = time.monotonic()
        acks, sent = burst(fake, events)
        first: dict[str, float] = {}
        answered: set[str] = set()
        deadline = started + 600
        while len(answered) < events and time.monotonic() < deadline:
            for event in sent:
                ts = str(event["ts"])
                replies = fake.bot_messages("C1", ts)
                if replies and ts not in first:
                    first[ts] = time.monotonic() - started
                if any("show_code" in str(m.get("blocks", "")) for m in replies):
                    answered.add(ts)
            time.sleep(0.05)
        all_done = time.monotonic() - started
        handler.close()
        service.close()
        pipeline.executor.close()  # type: ignore[attr-defined]
    return acks, list(first.values()), all_done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    bare = baseline(args.events)
    acks, first, all_done = threadlab(args.events)
    ms = 1000
    print(
        f"bare Bolt app: ack p50 {statistics.median(bare) * ms:.0f} ms, "
        f"p99 {percentile(bare, 0.99) * ms:.0f} ms, max {max(bare) * ms:.0f} ms"
    )
    print(
        f"ThreadLab: ack p50 {statistics.median(acks) * ms:.0f} ms, "
        f"p99 {percentile(acks, 0.99) * ms:.0f} ms, max {max(acks) * ms:.0f} ms "
        f"({sum(a < 3 for a in acks)}/{len(acks)} under 3 s)"
    )
    print(
        f"ThreadLab: first reply in the thread p50 {statistics.median(first):.2f} s, "
        f"max {max(first):.2f} s; all {args.events} answered in {all_done:.1f} s"
    )
    print(f"ratio ThreadLab/bare ack p99: {percentile(acks, 0.99) / percentile(bare, 0.99):.2f}x")


if __name__ == "__main__":
    main()
