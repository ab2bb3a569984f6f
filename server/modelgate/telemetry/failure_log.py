"""Rate-limited log lines for upstream and discovery failures, and retried calls.

An outage fails every call; one line per failure would flood the log and hide
everything else. Each key (a deployment id, or a runtime for discovery) gets at
most one WARNING per `WINDOW_SECONDS`; the next line it gets says how many were
held back meanwhile, so nothing is lost silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 30.0
"""At most one WARNING per key per this many seconds."""
_MAX_KEYS = 4096
"""Past this many keys, quiet ones are forgotten (discovered ids come and go)."""


@dataclass(slots=True)
class _Entry:
    logged_at: float
    suppressed: int = 0


class FailureLog:
    """One WARNING per key per window; the next one counts the lines suppressed since."""

    def __init__(
        self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.clock = clock
        """Monotonic seconds (tests step a fake clock instead of sleeping)."""
        self._entries: dict[str, _Entry] = {}

    def warning(self, logger: logging.Logger, key: str, message: str, *args: object) -> bool:
        """Log `message % args` unless `key` logged within the window; True when logged."""
        return self._log(logger, logging.WARNING, key, message, args)

    def log(
        self, logger: logging.Logger, level: int, key: str, message: str, *args: object
    ) -> bool:
        """`warning` at any `level` (a call that recovered is news, not a failure)."""
        return self._log(logger, level, key, message, args)

    def _log(
        self, logger: logging.Logger, level: int, key: str, message: str, args: tuple[object, ...]
    ) -> bool:
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now - entry.logged_at < self.window:
            entry.suppressed += 1
            return False
        if entry is not None and entry.suppressed:
            message += " (%d similar suppressed in the last %.0fs)"
            args = (*args, entry.suppressed, now - entry.logged_at)
        if entry is None and len(self._entries) >= _MAX_KEYS:
            self._forget_quiet(now)
        self._entries[key] = _Entry(logged_at=now)
        logger.log(level, message, *args, stacklevel=3)
        return True

    def _forget_quiet(self, now: float) -> None:
        """Drop keys whose window passed with nothing held back (nothing is lost)."""
        for key in [k for k, e in self._entries.items() if not e.suppressed]:
            if now - self._entries[key].logged_at >= self.window:
                del self._entries[key]
