"""A CLIENT span's deployment attributes are built once per deployment, shared read-only,
and a deployment replaced by a reload gets its own; a call's own attributes are apart."""

from __future__ import annotations

import pytest
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import GEN_AI_OUTPUT_MESSAGES

from modelgate.providers.base import CallContext, Target
from modelgate.telemetry.genai_content import input_content
from modelgate.telemetry.span_answer import answer_attributes
from modelgate.telemetry.span_attributes import (
    answer_of,
    deployment_attributes,
    request_attributes,
    result_attributes,
)
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, model_pb2


def _target(endpoint: str) -> Target:
    record = model_pb2.Model(id="gpt-4o", provider="openai", endpoint=endpoint)
    return Target(record=record, upstream_name="gpt-4o-2024")


def test_a_deployments_attributes_are_built_once_and_cannot_be_changed() -> None:
    target = _target("https://api.openai.com/v1")
    first, again = deployment_attributes(target, "chat"), deployment_attributes(target, "chat")
    assert first is again, "built once"
    assert first.span_name == "chat gpt-4o-2024"
    shared = first.attributes
    assert (shared["server.address"], shared["server.port"]) == ("api.openai.com", 443)
    assert shared["gen_ai.request.model"] == "gpt-4o-2024" and shared["modelgate.model"] == "gpt-4o"
    with pytest.raises(TypeError):
        shared["gen_ai.response.id"] = "a span's own"  # type: ignore[index]


def test_a_reloaded_deployment_is_described_by_its_new_record() -> None:
    before = deployment_attributes(_target("http://10.0.0.1:8000/v1"), "chat").attributes
    after = deployment_attributes(_target("http://10.0.0.2:9000/v1"), "embed").attributes
    assert (before["server.address"], before["server.port"]) == ("10.0.0.1", 8000)
    assert (after["server.address"], after["server.port"]) == ("10.0.0.2", 9000)
    assert after["gen_ai.operation.name"] == "embeddings"


def test_a_calls_own_attributes_are_a_fresh_dict() -> None:
    request = chat_pb2.ChatRequest(model="gpt-4o")
    request.generation.temperature = 0.2
    deployment = deployment_attributes(_target("https://api.openai.com/v1"), "chat")
    base, first = request_attributes(request, "chat", CallContext(), deployment)
    again, second = request_attributes(
        request, "chat", CallContext(attempt=2, attempt_reason="X"), deployment
    )
    assert base is again is deployment.attributes
    assert first is not second and "modelgate.attempt" not in first
    assert (second["modelgate.attempt"], second["modelgate.attempt.reason"]) == (2, "X")
    assert second["gen_ai.request.temperature"] == 0.2
    assert second["gen_ai.output.type"] == "text"


@pytest.mark.parametrize("operation", ["chat", "embed"])
def test_a_plain_first_attempt_shares_the_first_attempts_block(operation: str) -> None:
    """Attempt 1 with no parameter and text output: the block holds what its own
    attributes would have been, in their order; anything else has attributes of its own."""
    deployment = deployment_attributes(_target("https://api.openai.com/v1"), operation)
    request = chat_pb2.ChatRequest(model="gpt-4o")
    base, own = request_attributes(request, operation, CallContext(attempt=1), deployment)
    assert base is deployment.first and own == {}
    plain: dict[str, object] = {"modelgate.attempt": 1}
    if operation == "chat":
        plain["gen_ai.output.type"] = "text"
    assert list(deployment.first.items()) == [*deployment.attributes.items(), *plain.items()]
    answered = {**deployment.first, "gen_ai.response.model": "gpt-4o-2024"}
    assert list(deployment.answered.items()) == list(answered.items())
    retried = CallContext(attempt=2, attempt_reason="UPSTREAM_UNAVAILABLE")
    assert request_attributes(request, operation, retried, deployment)[0] is deployment.attributes
    if operation == "chat":
        request.response_format.type = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT
        base, own = request_attributes(request, operation, CallContext(attempt=1), deployment)
        assert base is deployment.attributes and own["gen_ai.output.type"] == "json"
        request.ClearField("response_format")
        request.generation.seed = 7
        base, own = request_attributes(request, operation, CallContext(attempt=1), deployment)
        assert base is deployment.attributes and own["gen_ai.request.seed"] == 7


def test_an_answers_keys_are_new_to_its_span() -> None:
    """The tracing wrapper adds an answer's attributes without checking for keys set
    again (`RecordingSpan.add_new_attributes`): none of them may be set before it."""
    target = _target("https://api.openai.com/v1")
    deployment = deployment_attributes(target, "chat")
    request = chat_pb2.ChatRequest(model="gpt-4o")
    request.messages.add(role=content_pb2.ROLE_SYSTEM).parts.add(text="be brief")
    request.messages.add(role=content_pb2.ROLE_USER).parts.add(text="hi")
    request.response_format.type = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT
    generation = request.generation
    generation.temperature = generation.top_p = 0.5
    generation.presence_penalty = generation.frequency_penalty = 0.1
    generation.max_output_tokens, generation.seed, generation.top_k = 10, 1, 5
    generation.stop_sequences.append("END")
    retried = CallContext(attempt=2, attempt_reason="UPSTREAM_UNAVAILABLE")
    base, own = request_attributes(request, "chat", retried, deployment)
    own.update(input_content(request, 1_000))
    before = {*deployment.first, *base, *own}
    assert "gen_ai.request.seed" in before and "gen_ai.input.messages" in before
    answer = chat_pb2.ChatResponse(id="r1", provider_response_id="up-1", raw_finish_reason="stop")
    answer.usage.input_tokens, answer.usage.output_tokens = 3, 4
    attributes = result_attributes(target, answer, CallContext(conversation_id="c1"), "chat")
    attributes[GEN_AI_OUTPUT_MESSAGES] = "[]"
    assert len(attributes) == 7, "every answer attribute is there"
    assert before.isdisjoint(attributes)
    the_answer = answer_attributes(answer_of(answer, retried, "chat"))
    assert set(deployment.answered).isdisjoint(the_answer), "the answered block comes first"
