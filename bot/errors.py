"""Exit codes and the one-line command failure, shared by the CLI and its commands (kept import-light)."""

import threading

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def quiet_threads() -> None:
    """After Ctrl-C the loop is gone; a worker thread still finishing (aiosqlite's, when the interrupt came
    while the database was opening) would print a traceback about it on its way out. Nothing is lost by
    silencing it: the process is exiting and SQLite rolls back any unfinished transaction."""
    threading.excepthook = lambda args: None


class CommandError(Exception):
    """A failure to report in one line, with exit code 1 (or `code`)."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code
