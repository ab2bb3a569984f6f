"""`telemetry.metrics_otlp`: the metrics a scrape shows are also pushed to an OTLP receiver.

A real gateway pushes to a loopback OTLP/gRPC MetricsService; the GenAI series
arrive under the conventions' names and attribute names, the gateway's own and
the process series under their Prometheus names, and the totals of the last
interval are pushed once more when the gateway stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from modelgate.telemetry.otlp_metrics import otlp_metric_exporter
from tests.collector import otlp_metrics_collector
from tests.gateways import serve, settings
from tests.rpc_helpers import chat_request
from tests.waiting import RPC_S, eventually

Batches = list[metrics_service_pb2.ExportMetricsServiceRequest]


def _metrics(batch: metrics_service_pb2.ExportMetricsServiceRequest) -> dict[str, Any]:
    return {
        metric.name: metric
        for resource in batch.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def _attributes(point: Any) -> dict[str, str]:
    return {kv.key: kv.value.string_value for kv in point.attributes}


def _chat_counted(batches: Sequence[metrics_service_pb2.ExportMetricsServiceRequest]) -> bool:
    if not batches:
        return False
    duration = _metrics(batches[-1]).get("gen_ai.server.request.duration")
    return duration is not None and any(p.count for p in duration.histogram.data_points)


async def test_pushed_metrics_follow_the_conventions_and_match_the_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = settings(
        echo=True, telemetry={"metrics_otlp": True, "metrics_otlp_interval_seconds": 0.05}
    )
    batches: Batches
    async with otlp_metrics_collector(monkeypatch) as batches, serve(config) as running:
        await running.stub.Chat(chat_request("echo", "pushed"), timeout=RPC_S)
        await eventually(lambda: _chat_counted(batches), what="a push counting the Chat")
    metrics = _metrics(batches[-1])

    duration = metrics["gen_ai.server.request.duration"]
    assert duration.unit == "s"
    (point,) = duration.histogram.data_points
    assert _attributes(point) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "modelgate",
        "gen_ai.request.model": "echo",
        "gen_ai.response.model": "echo",
    }, "no error.type attribute on a success"
    assert point.count == 1
    assert sum(point.bucket_counts) == 1
    assert len(point.bucket_counts) == len(point.explicit_bounds) + 1
    assert duration.histogram.aggregation_temporality == 2  # CUMULATIVE

    tokens = metrics["gen_ai.client.token.usage"]
    assert {_attributes(p)["gen_ai.token.type"] for p in tokens.histogram.data_points} == {
        "input",
        "output",
    }
    requests = metrics["modelgate_requests"]
    assert requests.sum.is_monotonic
    (ok,) = [p for p in requests.sum.data_points if _attributes(p)["rpc"] == "Chat"]
    assert (ok.as_double, _attributes(ok)["code"]) == (1.0, "OK")
    assert ok.start_time_unix_nano < ok.time_unix_nano
    assert metrics["process_cpu_seconds"].sum.data_points[0].as_double > 0
    resource = {
        kv.key: kv.value.string_value for kv in batches[-1].resource_metrics[0].resource.attributes
    }
    assert resource["service.name"] == "modelgate"
    assert resource["service.instance.id"], "each process's series stay apart"


async def test_stopping_pushes_the_last_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    config = settings(
        echo=True, telemetry={"metrics_otlp": True, "metrics_otlp_interval_seconds": 3600}
    )
    batches: Batches
    async with otlp_metrics_collector(monkeypatch) as batches:
        async with serve(config) as running:
            await running.stub.Chat(chat_request("echo", "last"), timeout=RPC_S)
            assert batches == []  # the first timed push is an hour away
        assert len(batches) == 1
        assert _chat_counted(batches)


def test_the_protocol_variable_chooses_the_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
    assert type(otlp_metric_exporter()).__module__.endswith("http.metric_exporter")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc")
    assert type(otlp_metric_exporter()).__module__.endswith("grpc.metric_exporter")
