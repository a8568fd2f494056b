"""The Bolt app: Slack's events, actions and commands wired to `SlackService`.

`handlers/slack/` is the only place that imports Slack libraries. Every listener
returns at once (Bolt acknowledges Socket Mode envelopes and HTTP requests before or
as the listener runs); the work happens on the service's own pool.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.assembly import build_pipeline
from bot.metrics import Metrics, MetricsServer, sqlite_writable
from bot.retention import purge
from bot.settings import Settings
from bot.store import Store
from handlers.slack.service import SlackService

log = logging.getLogger(__name__)

# Everything the app listens to; tests/slack/test_manifest.py keeps manifest.yml in step.
REGISTERED: dict[str, list[str]] = {
    "events": ["app_mention", "message", "app_home_opened"],
    "commands": ["/threadlab"],
    "actions": ["approve_run", "reject_run", "show_code"],
}


def web_client(settings: Settings, token: str) -> WebClient:
    """A client that sends every call to SLACK_API_URL when one is set."""
    if settings.slack_api_url:
        # slack_sdk joins method names onto the base URL: without the trailing slash
        # "https://proxy/api" would send chat.postMessage to /chat.postMessage.
        base = settings.slack_api_url.rstrip("/") + "/"
        return WebClient(token=token, base_url=base)
    return WebClient(token=token)


def build_app(settings: Settings, service: SlackService) -> App:
    http = settings.slack_mode == "http"
    app = App(
        client=service.client,
        signing_secret=settings.slack_signing_secret.get_secret_value() or None,
        # Socket Mode messages come over an authenticated socket, not signed requests.
        request_verification_enabled=http,
        token_verification_enabled=True,
    )

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        service.on_event(body, event, "mention")

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        service.on_event(body, event, "message")

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        service.home(str(event["user"]))

    @app.command("/threadlab")
    def on_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(text=service.command(command))

    @app.action("approve_run")
    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        service.decide(body, action, "approved")

    @app.action("reject_run")
    def on_reject(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        service.decide(body, action, "rejected")

    @app.action("show_code")
    def on_show_code(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        service.show_code(body, action)

    return app


def serve(settings: Settings) -> None:
    """Runs the bot until interrupted: Socket Mode by default, HTTP as an option."""
    bot_token = settings.slack_bot_token.get_secret_value()
    metrics = Metrics()
    pipeline = build_pipeline(settings, metrics)
    service = SlackService(settings, pipeline, web_client(settings, bot_token))
    handler: SocketModeHandler | None = None

    def socket_open() -> bool:
        return settings.slack_mode == "http" or (
            handler is not None and handler.client.is_connected()
        )

    # Up before the slow parts (auth, the zygote's imports): /healthz answers during
    # start-up and /readyz says what is still missing.
    server = start_metrics(settings, metrics, service, socket_open)
    # SIGTERM (docker stop, a Kubernetes rollout) drains like Ctrl-C: no new requests,
    # the ones in flight finish (up to THREADLAB_DRAIN_TIMEOUT_S).
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        service.connect()
        # Runs a previous process left unfinished: marked, and their threads told.
        service.tell_interrupted(pipeline.store.mark_interrupted())
        _start_retention(settings, pipeline.store)
        warm = getattr(pipeline.executor, "warm", None)
        if warm is not None:
            log.info("sandbox ready in %.2f s", warm())
        app = build_app(settings, service)
        if settings.slack_mode == "http":
            app.start(port=settings.slack_http_port)
        else:
            app_token = settings.slack_app_token.get_secret_value()
            handler = SocketModeHandler(app, app_token, web_client=web_client(settings, app_token))
            handler.start()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    except KeyboardInterrupt:
        log.info("stopping: finishing the requests in flight")
    finally:
        if handler is not None:
            handler.close()  # type: ignore[no-untyped-call]
        service.close(timeout=settings.drain_timeout_s)
        if server is not None:
            server.close()


def _stop_serving(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start_retention(settings: Settings, store: Store) -> None:
    """Deletes expired data now and then every hour, on a daemon thread."""

    def loop() -> None:
        while True:
            try:
                done = purge(settings.resolved_data_dir(), store, settings.retention_days)
                if done.paths:
                    log.info("retention deleted %d expired item(s)", len(done.paths))
            except Exception:  # retention must never take the bot down
                log.exception("retention failed")
            time.sleep(3600)

    threading.Thread(target=loop, name="threadlab-retention", daemon=True).start()


def start_metrics(
    settings: Settings,
    metrics: Metrics,
    service: SlackService,
    socket_open: Callable[[], bool] = lambda: True,
) -> MetricsServer | None:
    """Feeds the gauges and starts the endpoint; None when THREADLAB_METRICS_PORT=0."""
    executor = service.pipeline.executor
    # The executor's own queue is empty unless approved requests outnumber the workers.
    metrics.queue_depth.set_function(lambda: service.queued + getattr(executor, "queued", 0))
    metrics.active_sandboxes.set_function(lambda: getattr(executor, "running", 0))
    if settings.metrics_port == 0:
        return None
    ready = readiness(service, socket_open)
    return metrics.serve(settings.metrics_port, ready, settings.metrics_host)


def readiness(
    service: SlackService, socket_open: Callable[[], bool] = lambda: True
) -> Callable[[], dict[str, bool]]:
    """The checks behind /readyz: Slack reachable, sandbox warm, store writable.
    `socket_open`: whether Socket Mode's WebSocket is up (always true in HTTP mode)."""

    def ready() -> dict[str, bool]:
        connected = bool(service.bot_user_id) and socket_open()  # auth.test passed
        # An executor without a zygote (a test double) is always warm.
        warm = bool(getattr(service.pipeline.executor, "is_warm", True))
        return {
            "slack_connected": connected,
            "executor_warm": warm,
            "store_writable": sqlite_writable(service.store.path),
        }

    return ready
