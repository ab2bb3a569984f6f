"""Where access lines go: a bounded queue, and one writer thread that formats and writes them.

A call hands over a dict (about 1 us: `queue.put_nowait`); the `logging.handlers.QueueListener`
thread builds the `modelgate.access` record, renders it as one JSON object and writes it,
to stdout or to a size-rotated file (`logging.handlers.RotatingFileHandler`). So a stdout
pipe nobody drains, or a slow disk, never blocks the event loop: when the queue is full
the line is dropped and counted, and the next line written says how many were
(`dropped_before`), so nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import time
from logging.handlers import QueueListener, RotatingFileHandler
from pathlib import Path
from typing import Any

from typing_extensions import override

from modelgate.config import AccessLogConfig
from modelgate.telemetry.logs import RedactingStreamHandler

LOGGER = "modelgate.access"


class AccessFormatter(logging.Formatter):
    """The line: `time` (UTC, ms), `level` and `logger` as every JSON log line has them,
    then the access fields in their order."""

    @override
    def format(self, record: logging.LogRecord) -> str:
        done: str | None = getattr(record, "line", None)
        if done is not None:  # the rotating handler formats once to size it, then to write
            return done
        fields: dict[str, Any] = record.access  # type: ignore[attr-defined]
        seconds = fields["time"]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        line = {"time": "", "level": "INFO", "logger": LOGGER}
        line.update(fields)
        line["time"] = f"{stamp}.{int(seconds % 1 * 1000):03d}Z"
        record.line = text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        return text


class _Writer(QueueListener):
    """Turns each queued dict into a `modelgate.access` record in the writer thread."""

    @override
    def enqueue_sentinel(self) -> None:
        self.queue.put(self._sentinel)  # type: ignore[attr-defined]  # waits for room

    @override
    def prepare(self, record: Any) -> logging.LogRecord:
        made = logging.LogRecord(LOGGER, logging.INFO, __file__, 0, "access", None, None)
        made.access = record
        return made


def _handler(config: AccessLogConfig) -> logging.Handler:
    handler: logging.Handler
    if config.file is None:
        handler = RedactingStreamHandler(sys.stdout)
    else:
        Path(config.file).parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            config.file,
            maxBytes=config.file_max_bytes,
            backupCount=config.file_backups,
            encoding="utf-8",
        )
    handler.setFormatter(AccessFormatter())
    return handler


class AccessSink:
    """The queue and its writer thread (`start`, `close`); `put` is all a call pays."""

    def __init__(self, config: AccessLogConfig) -> None:
        self.config = config
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(config.queue_lines)
        self._dropped = 0
        """Lines dropped since the last one queued (only the event loop's thread puts)."""
        self._writer: _Writer | None = None
        self._handler: logging.Handler | None = None

    def start(self) -> None:
        """Open the output and start the writer thread (a daemon: it cannot hold up exit)."""
        if self._writer is None:
            self._handler = _handler(self.config)
            self._writer = _Writer(self._queue, self._handler)
            self._writer.start()

    def put(self, line: dict[str, Any]) -> None:
        """Queue a line; when the queue is full, drop it and count it."""
        if self._dropped:
            line["dropped_before"], self._dropped = self._dropped, 0
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._dropped += 1 + line.pop("dropped_before", 0)

    def close(self) -> None:
        """Write what is queued, stop the thread, close the output (blocks: run it off-loop)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()
        if self._handler is not None:
            self._handler.close()
            self._handler = None
