"""Fixtures for ingest tests: settings rooted in tmp_path, never the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # These tests are about reading files faithfully (a phone number stays the text it
    # was); masking has its own tests in tests/pii.
    return Settings(data_dir=tmp_path / "data", db_path=tmp_path / "t.db", pii_tokenise=False)


@pytest.fixture
def datasets(settings: Settings) -> Path:
    return settings.resolved_data_dir() / "datasets"
