"""manifest.yml cannot drift: it passes Slack's own schema and matches what the app registers.

Slack only delivers the events, commands and interactions the app is configured for, and
silently drops the rest; a handler without a subscription, or a subscription without a
handler (or without its scope), is a bug that only shows in a real workspace. These tests
catch it offline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = ROOT / "manifest.yml"
# Slack's published schema, kept verbatim as test data (see data/README.md for its source).
SCHEMA_PATH = Path(__file__).parent / "data" / "manifest.schema.1.0.0.json"

# The bot scope each subscribed bot event needs: Slack refuses to save a subscription whose
# scope is missing. None: the event needs no scope. Every subscribed event must be listed
# here, so a new subscription cannot slip in without someone deciding its scope.
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.mpim": "mpim:history",
    "app_home_opened": None,
}
# A slash command is only delivered to an app that holds this scope.
COMMANDS_SCOPE = "commands"


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "manifest.yml must be a mapping"
    return data


def _schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert isinstance(schema, dict)
    return schema


def _bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest.get("settings", {}).get("event_subscriptions", {}).get("bot_events", []))


def _commands(manifest: dict[str, Any]) -> list[str]:
    return [entry["command"] for entry in manifest.get("features", {}).get("slash_commands", [])]


def _bolt_event_type(bot_event: str) -> str:
    # Slack splits `message` subscriptions by conversation kind (message.im,
    # message.channels, ...), but every one arrives as event type "message", which is what
    # the app registers with app.event("message").
    return bot_event.split(".", 1)[0]


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    # Use the draft the schema declares ($schema), not whatever jsonschema defaults to.
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


def test_manifest_matches_slacks_schema() -> None:
    validator = _validator(_schema())
    errors = sorted(validator.iter_errors(_manifest()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


def test_the_v1_schema_is_the_one_that_applies() -> None:
    # Slack's top-level schema picks v2 only for `_metadata.major_version: 2` (Slack-hosted
    # apps); validating against v1 means nothing unless the manifest stays a v1 manifest.
    major = _manifest().get("_metadata", {}).get("major_version", 1)
    assert major == 1


def test_the_schema_rejects_a_misspelled_setting() -> None:
    # Proves the schema is strict enough to be worth running: a typo such as
    # `socket_mode: true` would otherwise leave the app without Socket Mode.
    manifest = _manifest()
    manifest["settings"]["socket_mode"] = manifest["settings"].pop("socket_mode_enabled")
    assert not _validator(_schema()).is_valid(manifest)


def test_background_color_matches_the_schemas_pattern() -> None:
    # The schema writes this pattern under "regex", a keyword JSON Schema ignores, so
    # validation alone would accept any colour string; apply the pattern it meant.
    definition = _schema()["definitions"]["app-manifests.v1.display_information.schema"]
    pattern = definition["properties"]["background_color"]["regex"]
    colour = _manifest()["display_information"].get("background_color")
    assert colour is None or re.fullmatch(pattern, colour), colour


def test_socket_mode_needs_no_public_url() -> None:
    settings = _manifest()["settings"]
    assert settings.get("socket_mode_enabled") is True
    # A request URL would make Slack post events over HTTP instead of the socket.
    assert "request_url" not in settings.get("event_subscriptions", {})
    assert "request_url" not in settings.get("interactivity", {})
    for command in _manifest().get("features", {}).get("slash_commands", []):
        assert "url" not in command, command["command"]


def test_scopes_cover_subscribed_events_and_commands() -> None:
    manifest = _manifest()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    unknown = [event for event in _bot_events(manifest) if event not in EVENT_SCOPES]
    assert not unknown, f"add the scope these events need to EVENT_SCOPES: {unknown}"
    needed = {EVENT_SCOPES[event] for event in _bot_events(manifest)} - {None}
    if _commands(manifest):
        needed.add(COMMANDS_SCOPE)
    assert needed <= scopes, f"missing bot scopes: {sorted(needed - scopes)}"


def test_app_home_tabs_match_the_events() -> None:
    manifest = _manifest()
    home = manifest["features"]["app_home"]
    events = set(_bot_events(manifest))
    if "message.im" in events:
        # Users can only DM the bot when the Messages tab is open and writable.
        assert home.get("messages_tab_enabled") is True
        assert home.get("messages_tab_read_only_enabled") is False
    if "app_home_opened" in events:
        assert home.get("home_tab_enabled") is True


def test_manifest_matches_what_the_app_registers() -> None:
    app = pytest.importorskip("handlers.slack.app")
    registered: dict[str, list[str]] = app.REGISTERED
    manifest = _manifest()

    handled = set(registered["events"])
    subscribed = {_bolt_event_type(event) for event in _bot_events(manifest)}
    unsubscribed = sorted(handled - subscribed)
    assert not unsubscribed, f"registered but not in manifest.yml bot_events: {unsubscribed}"
    unhandled = sorted(subscribed - handled)
    assert not unhandled, f"in manifest.yml bot_events but never registered: {unhandled}"

    commands = set(registered["commands"])
    declared = set(_commands(manifest))
    undeclared = sorted(commands - declared)
    assert not undeclared, f"registered but not in features.slash_commands: {undeclared}"
    orphaned = sorted(declared - commands)
    assert not orphaned, f"in features.slash_commands but never registered: {orphaned}"

    # Button clicks only reach the app when interactivity is on, and it should be off
    # when nothing handles them.
    interactivity = manifest["settings"].get("interactivity", {}).get("is_enabled", False)
    actions = sorted(registered["actions"])
    assert interactivity is bool(actions), f"interactivity {interactivity}, actions {actions}"

    assert manifest["settings"]["socket_mode_enabled"] is True
