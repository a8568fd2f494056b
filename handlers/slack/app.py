"""The Bolt app: Slack's events, actions and commands wired to `SlackService`.

`handlers/slack/` is the only place that imports Slack libraries. Every listener
returns at once (Bolt acknowledges Socket Mode envelopes and HTTP requests before or
as the listener runs); the work happens on the service's own pool.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.assembly import build_pipeline
from bot.settings import Settings
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
    pipeline = build_pipeline(settings)
    service = SlackService(settings, pipeline, web_client(settings, bot_token))
    service.connect()
    warm = getattr(pipeline.executor, "warm", None)
    if warm is not None:
        log.info("sandbox ready in %.2f s", warm())
    app = build_app(settings, service)
    try:
        if settings.slack_mode == "http":
            app.start(port=settings.slack_http_port)
        else:
            app_token = settings.slack_app_token.get_secret_value()
            SocketModeHandler(app, app_token, web_client=web_client(settings, app_token)).start()
    finally:
        service.close()
