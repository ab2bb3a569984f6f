"""A CLIENT span's deployment attributes are built once per deployment, handed out as the
span's own dict, and a deployment replaced by a reload gets its own."""

from __future__ import annotations

from modelgate.providers.base import CallContext, Target
from modelgate.telemetry.span_attributes import request_attributes
from modelgate.v1 import chat_pb2, model_pb2


def _target(endpoint: str) -> Target:
    record = model_pb2.Model(id="gpt-4o", provider="openai", endpoint=endpoint)
    return Target(record=record, upstream_name="gpt-4o-2024")


def test_each_span_gets_its_own_dict_of_the_deployments_attributes() -> None:
    target, request = _target("https://api.openai.com/v1"), chat_pb2.ChatRequest(model="gpt-4o")
    first = request_attributes(target, request, "chat", CallContext())
    first["gen_ai.response.id"] = "changed by the first span"
    second = request_attributes(target, request, "chat", CallContext(attempt=2))
    assert "gen_ai.response.id" not in second
    assert second["server.address"] == "api.openai.com" and second["server.port"] == 443
    assert second["modelgate.attempt"] == 2 and "modelgate.attempt" not in first
    assert second["gen_ai.request.model"] == "gpt-4o-2024"


def test_a_reloaded_deployment_is_described_by_its_new_record() -> None:
    request = chat_pb2.ChatRequest(model="gpt-4o")
    before = request_attributes(_target("http://10.0.0.1:8000/v1"), request, "chat", CallContext())
    after = request_attributes(_target("http://10.0.0.2:9000/v1"), request, "embed", CallContext())
    assert (before["server.address"], before["server.port"]) == ("10.0.0.1", 8000)
    assert (after["server.address"], after["server.port"]) == ("10.0.0.2", 9000)
    assert after["gen_ai.operation.name"] == "embeddings"
