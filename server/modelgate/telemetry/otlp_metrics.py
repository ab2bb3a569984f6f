"""Metrics pushed over OTLP: the Prometheus registry's samples, converted and sent on a timer.

Calls are recorded in one place, the prometheus_client registry (~1 us per
observation, `genai_metrics.py`); this bridge reads it the way a scrape does
(redacted), maps each family to the OTLP data model (counter -> monotonic
cumulative Sum, gauge and info -> Gauge, histogram -> cumulative Histogram with
per-bucket counts) and hands the batch to the OTel SDK's OTLP metric exporter,
which owns the wire: endpoint, protocol, headers, TLS, timeout and retries come
from the standard OTEL_EXPORTER_OTLP_[METRICS_]* variables, as for traces. The
GenAI series carry the conventions' names, units and attribute names
(`gen_ai.client.token.usage`, `gen_ai.operation.name`); the others keep their
Prometheus names. Pushes run on their own thread, never on the event loop.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from prometheus_client.metrics_core import Metric as Family

from modelgate.telemetry.genai_metrics import OTEL_ATTRIBUTES
from modelgate.version import version

log = logging.getLogger(__name__)
CUMULATIVE = AggregationTemporality.CUMULATIVE
PUSH_TIMEOUT_S = 10.0
"""A push waits at most this long (or one interval, when shorter) for the receiver."""
FINAL_PUSH_TIMEOUT_S = 2.0
"""The last push at shutdown waits at most this long for the receiver."""
Names = Mapping[str, tuple[str, str]]
"""Prometheus family name -> the OTel (name, unit) it stands for."""
LabelKey = tuple[tuple[str, str], ...]


def _key(labels: Mapping[str, str]) -> LabelKey:
    return tuple(sorted(labels.items()))


def _attributes(labels: Mapping[str, str]) -> dict[str, str]:
    """The conventions' attribute names; an empty value (e.g. no error) is no attribute."""
    return {OTEL_ATTRIBUTES.get(k, k): v for k, v in labels.items() if v != ""}


@dataclass
class _Buckets:
    labels: dict[str, str]
    cumulative: list[tuple[float, float]] = field(default_factory=list)
    total: float = 0.0
    count: float = 0.0


def _histogram_points(
    family: Family, start: Callable[[Mapping[str, str]], int], now_ns: int
) -> list[HistogramDataPoint]:
    groups: dict[LabelKey, _Buckets] = {}
    for sample in family.samples:
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        group = groups.setdefault(_key(labels), _Buckets(labels))
        if sample.name.endswith("_bucket"):
            group.cumulative.append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_sum"):
            group.total = sample.value
        elif sample.name.endswith("_count"):
            group.count = sample.value
    points = []
    for group in groups.values():
        bounds = sorted(group.cumulative)
        counts = [int(c - p) for (_, c), (_, p) in zip(bounds, [(0.0, 0.0), *bounds], strict=False)]
        points.append(
            HistogramDataPoint(
                attributes=_attributes(group.labels),
                start_time_unix_nano=start(group.labels),
                time_unix_nano=now_ns,
                count=int(group.count),
                sum=group.total,
                bucket_counts=counts,
                explicit_bounds=[le for le, _ in bounds if not math.isinf(le)],
                min=cast(float, None),  # Prometheus keeps neither: left unset on the wire
                max=cast(float, None),
            )
        )
    return points


def convert(family: Family, names: Names, start_ns: int, now_ns: int) -> Metric | None:
    """One Prometheus family as an OTLP metric (None for kinds the gateway does not register)."""
    created = {
        _key(s.labels): int(s.value * 1e9) for s in family.samples if s.name.endswith("_created")
    }

    def start(labels: Mapping[str, str]) -> int:
        return created.get(_key(labels), start_ns)

    def numbers(suffix: str = "") -> list[NumberDataPoint]:
        return [
            NumberDataPoint(_attributes(s.labels), start(s.labels), now_ns, s.value)
            for s in family.samples
            if s.name == family.name + suffix
        ]

    data: Any
    if family.type == "counter":
        data = Sum(numbers("_total"), CUMULATIVE, is_monotonic=True)
    elif family.type == "histogram":
        data = Histogram(_histogram_points(family, start, now_ns), CUMULATIVE)
    elif family.type in ("gauge", "unknown"):
        data = Gauge(numbers())
    elif family.type == "info":
        data = Gauge(numbers("_info"))
    else:
        return None
    name, unit = names.get(family.name, (family.name, family.unit))
    return Metric(name=name, description=family.documentation, unit=unit, data=data)


def metrics_data(
    families: Iterable[Family], names: Names, resource: Resource, start_ns: int
) -> MetricsData:
    """Everything the registry holds now, as one OTLP batch."""
    now_ns = time.time_ns()
    metrics = [m for f in families if (m := convert(f, names, start_ns, now_ns)) is not None]
    scope = ScopeMetrics(InstrumentationScope("modelgate", version()), metrics, "")
    return MetricsData([ResourceMetrics(resource, [scope], "")])


def otlp_metric_exporter() -> MetricExporter:
    """The SDK's OTLP exporter for the protocol the OTEL_* variables name (gRPC by default)."""
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    )
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as Http,
        )

        return Http()
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as Grpc

    return Grpc()


class OtlpMetricsPush:
    """Pushes `collect()` every `interval_s` on a daemon thread, and once more at `close`."""

    def __init__(
        self,
        collect: Callable[[], Iterable[Family]],
        names: Names,
        interval_s: float,
        exporter: MetricExporter | None = None,
    ) -> None:
        self.collect = collect
        self.names = names
        self.interval_s = interval_s
        self.exporter = exporter or otlp_metric_exporter()
        # Each process counts on its own (`--workers`, replicas): a unique instance id keeps
        # their cumulative series apart at the receiver.
        self.resource = Resource.create(
            {
                "service.name": os.environ.get("OTEL_SERVICE_NAME", "modelgate"),
                "service.instance.id": str(uuid.uuid4()),
            }
        )
        self.start_ns = time.time_ns()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="otlp-metrics", daemon=True)

    def start(self) -> None:
        """Begin pushing; the first push is one interval from now."""
        self._thread.start()

    def push(self, timeout_s: float) -> bool:
        """Send the registry's state now; False (and a warning) when the receiver refused it."""
        data = metrics_data(self.collect(), self.names, self.resource, self.start_ns)
        result = self.exporter.export(data, timeout_millis=timeout_s * 1000)
        if result is not MetricExportResult.SUCCESS:
            log.warning("metrics push over OTLP failed; the next push sends the totals again")
            return False
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.push(timeout_s=min(self.interval_s, PUSH_TIMEOUT_S))
            except Exception:  # a bridge bug must not end the pushes: log it, try next time
                log.exception("metrics push over OTLP failed")

    def close(self) -> None:
        """Stop the timer and push the final totals (blocks up to FINAL_PUSH_TIMEOUT_S)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(FINAL_PUSH_TIMEOUT_S)
        try:
            self.push(timeout_s=FINAL_PUSH_TIMEOUT_S)
        finally:
            self.exporter.shutdown(timeout_millis=FINAL_PUSH_TIMEOUT_S * 1000)
