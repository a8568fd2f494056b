"""One error base: its text is what a user sees. Results are data; these are failures."""

from __future__ import annotations


class ThreadLabError(Exception):
    """Something went wrong that the user should hear about in plain words."""

    @property
    def user_message(self) -> str:
        return str(self) or (self.__doc__ or type(self).__name__).strip()


class IngestError(ThreadLabError):
    """The file could not be read."""


class FileMissing(IngestError):
    """The file does not exist."""


class EmptyFile(IngestError):
    """The file is empty."""


class BinaryFile(IngestError):
    """The file holds binary data, not a table."""


class TruncatedFile(IngestError):
    """The file ends before its structure does."""


class UnsupportedFileType(IngestError):
    """The file type is not one ThreadLab reads."""


class FileTooLarge(IngestError):
    """The file is larger than the upload limit."""


class MalformedFile(IngestError):
    """The file's contents could not be parsed as a table."""


class SheetNotFound(IngestError):
    """The workbook has no sheet by that name."""


class PlanningError(ThreadLabError):
    """The request could not be turned into a plan."""


class StoreError(ThreadLabError):
    """The run record could not be read or written."""


class SandboxUnavailable(ThreadLabError):
    """The sandbox could not run the code on this host."""
