"""Prometheus metrics of the gateway (prometheus_client: cheapest per-call recording).

Label values are bounded: `model` is a catalog id or alias, or "unknown" for
names that resolve to nothing, so a caller cannot explode cardinality.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """All instruments, in their own registry (several gateways may share a process in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._endpoint: WSGIServer | None = None
        r = self.registry
        self.requests = Counter(
            "modelgate_requests", "RPCs handled", ["rpc", "model", "provider", "code"], registry=r
        )
        self.latency = Histogram(
            "modelgate_request_duration_seconds",
            "RPC wall time",
            ["rpc", "model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "modelgate_time_to_first_token_seconds",
            "Streaming time to first delta",
            ["rpc", "model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "modelgate_tokens", "Tokens by direction", ["model", "direction"], registry=r
        )
        self.cost = Counter(
            "modelgate_cost_usd", "Cost in US dollars", ["model", "api_key"], registry=r
        )
        self.cache_hits = Counter(
            "modelgate_cache_hits", "Response cache hits", ["model"], registry=r
        )
        self.streams = Gauge("modelgate_streams_in_flight", "Open streaming RPCs", registry=r)

    def serve(self, port: int, host: str) -> None:
        """Expose /metrics on `host:port` (a daemon thread of prometheus_client)."""
        self._endpoint, _thread = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        """Stop the /metrics endpoint, freeing its port (blocks up to half a second)."""
        if self._endpoint is not None:
            self._endpoint.shutdown()
            self._endpoint.server_close()
            self._endpoint = None
