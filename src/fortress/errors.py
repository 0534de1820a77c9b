"""Errors Fortress reports to the user as one clear line (never a traceback)."""

from __future__ import annotations


class FortressError(Exception):
    """A problem with the input or the environment; the CLI prints it and exits 2."""


class InputError(FortressError):
    """An input file that cannot be read or parsed. The scan reports it and goes on."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")
