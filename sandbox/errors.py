"""Failures of the sandbox itself (not of the program it runs: those are RunResults)."""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox could not run the job."""


class BadInputName(SandboxError, ValueError):
    """An input name must be a relative path inside the work dir."""


class SandboxSetupFailed(SandboxError):
    """The sandbox could not be prepared on this host (is the package installed?)."""


class SandboxRefused(SandboxError):
    """This host cannot hide its files from a job, and no operator allowed that."""
