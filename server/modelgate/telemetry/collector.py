"""Routing state as Prometheus metrics, read at scrape time (nothing added to the hot path)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from typing_extensions import override

from modelgate.routing.catalog import Catalog
from modelgate.v1 import model_pb2


class RoutingCollector(Collector):
    """Breaker state, in-flight calls, attempts and failures per deployment."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @override
    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """One sample per deployment that has seen traffic."""
        breaker = GaugeMetricFamily(
            "modelgate_breaker_state",
            "Circuit breaker state (1 closed, 2 open, 3 half-open)",
            labels=["model"],
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
        for model_id in self.catalog.all_ids():
            stats = self.catalog.stats.peek(model_id)
            if stats is None:
                continue
            state = stats.breaker.state
            breaker.add_metric([model_id], float(state or model_pb2.BREAKER_STATE_CLOSED))
            in_flight.add_metric([model_id], stats.in_flight)
            attempts.add_metric([model_id], stats.calls)
            failures.add_metric([model_id], stats.failures)
        yield from (breaker, in_flight, attempts, failures)
