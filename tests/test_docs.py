"""Docs that cannot drift: every setting is in .env.example and the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _env_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        # A field with ecosystem aliases is documented under the ecosystem's name.
        names.append(str(choices[-1]) if choices else f"THREADLAB_{name.upper()}")
    return names


@pytest.mark.parametrize("document", [".env.example", "README.md"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [name for name in _env_names() if name not in text]
    assert not missing, f"{document} does not mention {missing}"


def test_every_cli_command_is_in_the_readme() -> None:
    from handlers.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"threadlab {name}" not in readme]
    assert not missing, f"README does not document {missing}"
