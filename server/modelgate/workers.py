"""`--workers N`: N gateway processes sharing one port through SO_REUSEPORT.

gRPC Python is bound to one core per process; the kernel spreads accepted
connections over the processes. The parent only supervises: it forwards
SIGINT/SIGTERM so each worker drains, SIGHUP so each reloads its configuration,
and exits non-zero if any worker did.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from types import FrameType

from modelgate.config import Settings

log = logging.getLogger("modelgate.workers")

Loader = Callable[[], Settings]  # modelgate.reload.Loader, without importing the server here


def _own_port(settings: Settings, index: int) -> Settings:
    if settings.telemetry.metrics_port:
        # Each process has its own counters: worker i serves them on metrics_port + i.
        settings.telemetry.metrics_port += index
    return settings


def _reload_worker(load: Loader, index: int) -> Settings:
    return _own_port(load(), index)


def _worker(settings: Settings, index: int, load: Loader | None) -> None:
    from modelgate.app import run
    from modelgate.telemetry.logs import configure_logging

    settings = _own_port(settings, index)
    configure_logging(settings.log_level, settings.log_format)
    reload = partial(_reload_worker, load, index) if load is not None else None
    sys.exit(run(settings, reuse_port=True, load=reload))


def run_workers(settings: Settings, count: int, load: Loader | None = None) -> int:
    """Start `count` workers and wait for all of them."""
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker, args=(settings, index, load), daemon=False)
        for index in range(count)
    ]
    for process in workers:
        process.start()

    def forward(signum: int, _frame: FrameType | None) -> None:
        for process in workers:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGHUP, forward)
    for process in workers:
        process.join()
    failed = [p.exitcode for p in workers if p.exitcode not in (0, None)]
    return 1 if failed else 0
