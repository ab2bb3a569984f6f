"""The one error the state layer raises when its backend fails, times out or is skipped.

Callers (router, servicer) map it to a status without importing redis or
sqlite3, and decide per concern whether to fail open (a cache miss) or closed.
"""

from __future__ import annotations


class StateUnavailableError(Exception):
    """The state backend (SQLite file, Redis server) failed, hung or is being skipped.

    The message (for logs) never contains a password from the backend URL;
    `backend` and `summary` carry no host or path either, so they may reach callers.
    """

    def __init__(
        self,
        message: str,
        *,
        backend: str = "",
        summary: str = "failed",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.backend = backend
        """"redis" or "sqlite"."""
        self.summary = summary
        """What happened, e.g. "did not answer within 0.5s"."""
        self.retry_after = retry_after
        """Seconds until the backend is tried again, when its breaker is open."""
