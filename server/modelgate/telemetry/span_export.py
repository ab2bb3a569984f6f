"""The span export queue: records in, OTLP batches out, on one background thread.

What the SDK's BatchSpanProcessor promises, kept: a bounded queue (a span that finds it
full is dropped and counted, never waited for), batches of `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`
sent when one is full or `OTEL_BSP_SCHEDULE_DELAY` has passed, `force_flush` and
`shutdown` that send what was queued before them and return within their timeout even
when the collector hangs (each export is bounded by the exporter's own timeout,
`OTEL_EXPORTER_OTLP_TIMEOUT`; `OTEL_BSP_EXPORT_TIMEOUT` is read by the SDK's processor and
never used, so it means nothing here either). Unlike the SDK, a batch setting that is not
a positive integer is refused, not replaced by the default. What a traced call pays: one
`deque.append`, and an `Event.set` once per batch.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from modelgate.telemetry.otlp_encoding import Encoder
from modelgate.telemetry.span_record import SpanRecord

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Where batches go: OTLP bytes over gRPC or HTTP (`otlp_transport`), or a console."""

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        """Deliver one batch; False when it was lost (already logged by the sender)."""
        ...

    def shutdown(self) -> None:
        """Stop: abort retries and close connections."""
        ...


def _env_int(name: str, default: int) -> int:
    """An OTEL_BSP_* setting, as the SDK reads it (a bad value is refused loudly)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be positive")
    return value


class _Flush:
    """A marker in the queue: set once every record queued before it was handed on."""

    def __init__(self, failed_before: int) -> None:
        self.done = threading.Event()
        self.failed_before = failed_before


class SpanExport:
    """The bounded queue and its export thread (started at construction)."""

    def __init__(
        self,
        sender: Sender,
        encoder: Encoder,
        *,
        max_queue: int | None = None,
        batch: int | None = None,
        delay_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.encoder = encoder
        self.max_queue = max_queue or _env_int("OTEL_BSP_MAX_QUEUE_SIZE", 2048)
        self.batch = min(batch or _env_int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512), self.max_queue)
        self.delay_s = delay_s or _env_int("OTEL_BSP_SCHEDULE_DELAY", 5000) / 1000
        self.clock = clock
        self.dropped = 0
        """Spans lost to a full queue (or ended after shutdown)."""
        self.failed = 0
        """Spans in batches the collector did not take."""
        self._queue: collections.deque[SpanRecord | _Flush] = collections.deque()
        self._wake = threading.Event()
        self._asking = threading.Lock()
        self._flushes_asked = 0
        """Flush markers ever queued (written under `_asking`) ..."""
        self._flushes_met = 0
        """... and taken off the queue (by the export thread alone): none is queued
        when the two are equal."""
        self._flush_wanted = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="span-export", daemon=True)
        self._thread.start()

    @property
    def exporting(self) -> bool:
        """Whether the export thread still runs (it stops after `shutdown`)."""
        return self._thread.is_alive()

    def submit(self, record: SpanRecord) -> None:
        """Queue an ended span (on the traced call: no lock, no wait)."""
        queue = self._queue
        if len(queue) >= self.max_queue or self._closed:
            self._drop()
            return
        queue.append(record)
        if len(queue) >= self.batch and not self._wake.is_set():
            self._wake.set()

    def _drop(self) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 10_000 == 0:
            reason = "after shutdown" if self._closed else "the export queue is full"
            log.warning("span dropped (%s); %d dropped so far", reason, self.dropped)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send every span ended before this call; False when a batch was lost meanwhile
        or it took longer than `timeout_millis`."""
        if not self._thread.is_alive():
            return False
        marker = _Flush(self.failed)
        with self._asking:  # flushes may be asked from several threads
            self._flushes_asked += 1
            self._queue.append(marker)
        self._flush_wanted = True
        self._wake.set()
        return marker.done.wait(timeout_millis / 1000) and self.failed == marker.failed_before

    def shutdown(self, timeout_millis: int = 30_000) -> bool:
        """Flush within `timeout_millis`, then stop the thread and the sender; later spans
        are dropped. Returns whether everything queued was sent in time."""
        if self._closed:
            return True
        flushed = self.force_flush(timeout_millis)
        self._closed = True
        self._wake.set()
        self.sender.shutdown()  # aborts a hung export's retries and closes its connection
        if self.dropped:
            log.warning("tracing stopped: %d spans were dropped in all", self.dropped)
        return flushed

    def _take(self) -> tuple[list[SpanRecord], list[_Flush]]:
        """Up to one batch from the queue, and the flush markers met on the way."""
        queue = self._queue
        if self._flushes_asked == self._flushes_met:
            # No marker queued now; one queued from here on comes after every record
            # counted below (spans and markers are only ever appended).
            popleft = queue.popleft
            return [popleft() for _ in range(min(len(queue), self.batch))], []  # type: ignore[misc]
        records: list[SpanRecord] = []
        markers: list[_Flush] = []
        while queue and len(records) < self.batch:
            item = queue.popleft()
            if isinstance(item, _Flush):
                self._flushes_met += 1
                markers.append(item)
                break  # what was queued before the marker is all in `records`: send it now
            records.append(item)
        return records, markers

    def _run(self) -> None:
        deadline = self.clock() + self.delay_s
        while True:
            self._wake.wait(max(0.0, deadline - self.clock()))
            self._wake.clear()
            drain = self._flush_wanted or self._closed or self.clock() >= deadline
            self._flush_wanted = False
            while self._queue and (drain or len(self._queue) >= self.batch):
                records, markers = self._take()
                if records:
                    self._send(records)
                for marker in markers:
                    marker.done.set()
            if self.clock() >= deadline:
                deadline = self.clock() + self.delay_s
            if self._closed and not self._queue:
                return

    def _send(self, records: list[SpanRecord]) -> bool:
        try:
            ok = self.sender.send(records, self.encoder)
        except Exception:  # a bug in encoding must not stop tracing for good
            log.exception("span export failed")
            ok = False
        if not ok:
            self.failed += len(records)
        return ok
