"""Live reload: SIGHUP, or a changed config file, puts a new configuration in force.

The new catalog (discovery included), router, caller keys and limits are built off
to the side and swapped in as one reference (`Gateway.swap`); a configuration that
fails validation is refused with one log line and a metric, and the old one keeps
serving. Calls in flight finish on the snapshot they started with: its upstream
connections are closed once no call holds it (at most after the longest a stream
may run plus the drain grace). Settings fixed at start-up (listening socket, TLS,
state backend, telemetry, logging, auth on/off) are named in the log when they
differ, and keep their running values until a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from modelgate.api.live import Routing, build_routing
from modelgate.config import Settings
from modelgate.config_errors import ConfigError
from modelgate.redactor import REDACTOR
from modelgate.routing.catalog import Catalog

if TYPE_CHECKING:
    from modelgate.app import Gateway

log = logging.getLogger("modelgate.reload")

Loader = Callable[[], Settings]
"""Loads the settings again from the sources the process started with."""

WATCH_EVERY_S = 2.0
"""How often `server.reload_on_change` looks at the config file."""
FIXED_SECTIONS = ("server", "telemetry", "state", "access_log")
LIVE_SERVER_FIELDS = ("grace_seconds", "reload_on_change")
"""The only `server.*` settings a reload changes; the rest shape the listening socket."""


def needs_restart(old: Settings, new: Settings) -> list[str]:
    """Names of the settings that differ but only change with a restart (never values)."""
    names = []
    for section in FIXED_SECTIONS:
        before, after = getattr(old, section), getattr(new, section)
        for field in type(before).model_fields:
            live = section == "server" and field in LIVE_SERVER_FIELDS
            if not live and getattr(before, field) != getattr(after, field):
                names.append(f"{section}.{field}")
    names += [n for n in ("log_level", "log_format") if getattr(old, n) != getattr(new, n)]
    if old.auth.enabled != new.auth.enabled:
        names.append("auth.enabled")
    return names


def in_force(old: Settings, new: Settings) -> Settings:
    """`new` with the running values of the settings only a restart changes."""
    live = {field: getattr(new.server, field) for field in LIVE_SERVER_FIELDS}
    return new.model_copy(
        update={
            "server": old.server.model_copy(update=live),
            "telemetry": old.telemetry,
            "state": old.state,
            "access_log": old.access_log,
            "auth": new.auth.model_copy(update={"enabled": old.auth.enabled}),
            "log_level": old.log_level,
            "log_format": old.log_format,
        }
    )


def fingerprint(settings: Settings) -> str:
    """A short hash of the settings, to tell which configuration a process runs."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:12]


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    """What changes when the file is rewritten or a ConfigMap swaps its symlink."""
    try:
        found = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino) if found else None


class Reloader:
    """Reloads one gateway's configuration on request, one reload at a time."""

    def __init__(self, gateway: Gateway, load: Loader) -> None:
        self.gateway = gateway
        self.load = load
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[bool]] = set()
        self._retired: dict[asyncio.Task[None], Catalog] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._seen = _stamp(gateway.settings.config)

    def started(self) -> None:
        """Record the configuration the gateway started with; watch its file."""
        self._record_loaded(self.gateway.settings, reloaded=False)
        self._watcher = asyncio.create_task(self._watch_forever())

    def request(self, why: str) -> None:
        """Reload in the background (a signal handler cannot wait)."""
        task = asyncio.get_running_loop().create_task(self.reload(why))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_report)

    async def reload(self, why: str) -> bool:
        """Load, validate, build and swap in the configuration; False when refused."""
        async with self._lock:
            old = self.gateway.routing
            assert self.gateway.state is not None, "reloads start once the gateway serves"
            try:
                loaded = await asyncio.to_thread(self.load)
                REDACTOR.hold(secret for _, secret in loaded.held_secrets())
                settings = in_force(old.settings, loaded)
                routing = build_routing(
                    settings,
                    self.gateway.wrap,
                    auth=old.auth is not None,
                    state=self.gateway.state,
                )
            except ConfigError as exc:
                return self._rejected(why, exc.lines)
            except Exception as exc:  # a reload must never take a serving gateway down
                return self._rejected(why, [f"{type(exc).__name__}: {exc}"])
            fixed = needs_restart(old.settings, loaded)
            if fixed:
                log.warning(
                    "config reload (%s): these settings change only with a restart and keep "
                    "their running values: %s",
                    why,
                    ", ".join(fixed),
                )
            await routing.catalog.refresh()
            self._retire(self.gateway.swap(routing))
            del old
            self._record_loaded(settings, reloaded=True)
            log.info(
                "config reloaded (%s): %d models, config %s",
                why,
                len(routing.catalog.all_ids()),
                fingerprint(settings),
            )
            return True

    def _rejected(self, why: str, lines: list[str]) -> bool:
        log.error(
            "config reload (%s) rejected, the previous configuration stays in force: %s",
            why,
            "; ".join(lines),
        )
        if self.gateway.metrics is not None:
            self.gateway.metrics.config_reloads.labels("rejected").inc()
        return False

    def _record_loaded(self, settings: Settings, *, reloaded: bool) -> None:
        metrics = self.gateway.metrics
        if metrics is None:
            return
        if reloaded:
            metrics.config_reloads.labels("ok").inc()
        metrics.config_loaded.set(time.time())
        metrics.config_info.clear()
        metrics.config_info.labels(fingerprint(settings)).set(1)

    def _retire(self, old: Routing) -> None:
        settings = old.settings
        bound = settings.limits.stream_max_seconds + settings.server.grace_seconds
        unused = asyncio.Event()
        # Each call holds the snapshot it started with: when the last one lets go,
        # CPython frees it at once and the finalizer wakes the closer (no per-call cost).
        finalizer = weakref.finalize(old, _wake, asyncio.get_running_loop(), unused)
        finalizer.atexit = False
        task = asyncio.create_task(_close_when_unused(unused, old.catalog, bound))
        self._retired[task] = old.catalog
        task.add_done_callback(self._retired.pop)

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(WATCH_EVERY_S)
            settings = self.gateway.settings
            if not settings.server.reload_on_change:
                continue
            stamp = _stamp(settings.config)
            if stamp is not None and stamp != self._seen:
                self._seen = stamp
                await self.reload("config file changed")

    async def stop(self) -> None:
        """Stop watching and reloading (the drain has begun)."""
        pending = [*self._tasks, *([self._watcher] if self._watcher else [])]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close_retired(self) -> None:
        """Close the connections of every configuration still waiting to be closed."""
        catalogs = list(self._retired.values())
        for task in list(self._retired):
            task.cancel()
        await asyncio.gather(*(c.aclose() for c in catalogs), return_exceptions=True)


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nothing left to close
        loop.call_soon_threadsafe(event.set)


async def _close_when_unused(unused: asyncio.Event, catalog: Catalog, bound: float) -> None:
    """Close an old catalog's connections once the last call on it has finished."""
    try:
        await asyncio.wait_for(unused.wait(), bound)
    except TimeoutError:
        log.warning(
            "closing the previous configuration's upstream connections after %.0fs, "
            "though a call still holds them",
            bound,
        )
    await catalog.aclose()


def _report(task: asyncio.Task[bool]) -> None:
    """A reload that broke after validation is said, not left in an unread task."""
    if not task.cancelled() and task.exception() is not None:
        log.error("config reload failed", exc_info=task.exception())
