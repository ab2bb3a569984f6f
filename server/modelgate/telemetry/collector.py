"""Routing state as Prometheus metrics, read at scrape time (nothing added to the hot path).

The breaker is a state set (one series per state, 1 for the current one; the
Prometheus/OpenMetrics "StateSet" shape), so a dashboard filters `state="open"`
instead of decoding numbers. Cache lookups and hits are both counted, so
`rate(hits) / rate(lookups)` is the hit ratio.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from typing_extensions import override

from modelgate.routing.catalog import Catalog
from modelgate.v1 import model_pb2

BREAKER_STATES = {
    model_pb2.BREAKER_STATE_CLOSED: "closed",
    model_pb2.BREAKER_STATE_OPEN: "open",
    model_pb2.BREAKER_STATE_HALF_OPEN: "half_open",
}


class RoutingCollector(Collector):
    """Breaker state, in-flight calls, attempts, failures and cache use per deployment."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @override
    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """One sample per deployment that has seen traffic."""
        breaker = GaugeMetricFamily(
            "modelgate_breaker_state",
            "Circuit breaker state: 1 for the current state, 0 for the others",
            labels=["model", "state"],
        )
        in_flight = GaugeMetricFamily(
            "modelgate_deployment_in_flight", "Upstream calls in progress", labels=["model"]
        )
        attempts = CounterMetricFamily(
            "modelgate_upstream_attempts", "Upstream attempts (retries included)", labels=["model"]
        )
        failures = CounterMetricFamily(
            "modelgate_upstream_failures",
            "Upstream attempts that failed retryably",
            labels=["model"],
        )
        lookups = CounterMetricFamily(
            "modelgate_cache_lookups",
            "Response cache lookups (calls whose cache mode is USE)",
            labels=["model"],
        )
        hits = CounterMetricFamily(
            "modelgate_cache_hits", "Response cache lookups that found an answer", labels=["model"]
        )
        for model_id in self.catalog.all_ids():
            stats = self.catalog.stats.peek(model_id)
            if stats is None:
                continue
            current = stats.breaker.state or model_pb2.BREAKER_STATE_CLOSED
            for state, name in BREAKER_STATES.items():
                breaker.add_metric([model_id, name], 1.0 if state == current else 0.0)
            in_flight.add_metric([model_id], stats.in_flight)
            attempts.add_metric([model_id], stats.calls)
            failures.add_metric([model_id], stats.failures)
            if stats.cache_lookups:
                lookups.add_metric([model_id], stats.cache_lookups)
                hits.add_metric([model_id], stats.cache_hits)
        yield from (breaker, in_flight, attempts, failures, lookups, hits)
