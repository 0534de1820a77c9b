"""Errors Fortress reports to the user as one clear line (never a traceback)."""


class FortressError(Exception):
    """A problem with the input or the environment; the CLI prints it and exits 2."""
