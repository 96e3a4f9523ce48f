"""Error types. Messages are sentences that name the value and the place and end with a hint."""

from __future__ import annotations


class StswatchError(Exception):
    """Root of every error stswatch raises on purpose."""

    exit_code = 1


class UsageError(StswatchError):
    """The caller asked for something that cannot work (bad option, unknown format, ...)."""

    exit_code = 2


class InputError(StswatchError):
    """An input could not be read at all (missing, unreadable, no timestamps, unknown layout)."""

    exit_code = 1


class CorruptInputError(InputError):
    """An input broke part-way; what came before the damage was kept."""

    def __init__(self, path: str, offset: int, detail: str) -> None:
        self.path = path
        self.offset = offset
        self.detail = detail
        super().__init__(
            f"{path} is corrupt at byte {offset:,} ({detail}); everything before that point was "
            f"loaded. Hint: re-download or repair the file, then ingest it again."
        )
