"""The one error the state layer raises when its backend fails.

Callers (router, servicer) map it to a status without importing redis or
sqlite3, and decide per concern whether to fail open (a cache miss) or closed.
"""

from __future__ import annotations


class StateUnavailableError(Exception):
    """The state backend (SQLite file, Redis server) failed or is unreachable.

    The message never contains a password from the backend URL.
    """
