"""Executors shared by the sandbox tests: the font cache is built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.sandbox_executor import SandboxExecutor


@pytest.fixture(scope="session")
def font_cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fontcache")


@pytest.fixture(scope="session")
def executor(tmp_path_factory: pytest.TempPathFactory, font_cache_root: Path) -> SandboxExecutor:
    """Cgroups where this host allows them (the way the bot runs)."""
    return SandboxExecutor(tmp_path_factory.mktemp("work"), font_cache_root=font_cache_root)


@pytest.fixture(scope="session")
def rlimit_executor(
    tmp_path_factory: pytest.TempPathFactory, font_cache_root: Path
) -> SandboxExecutor:
    """Rlimits only: what a host without a writable cgroup gets."""
    return SandboxExecutor(
        tmp_path_factory.mktemp("work-rlimit"), use_cgroups=False, font_cache_root=font_cache_root
    )
