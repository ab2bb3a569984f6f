"""The attributes of an upstream attempt's CLIENT span, named by the semantic conventions.

Names come from `opentelemetry-semantic-conventions` (GenAI, server, error), never
string literals, so a renamed convention is one dependency bump. Sampling parameters
are proto `float`s (float32): recorded as the shortest decimal that reads back as
the same float32 (`0.2`, not `0.20000000298023224`). Everything here runs on the
traced call, so it is plain dict building: no JSON, no URL parsing per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.trace import Span, Status, StatusCode

from modelgate.errors import GatewayError
from modelgate.providers.base import CallContext, Target
from modelgate.telemetry.span_answer import Answer, answer_attributes
from modelgate.v1 import generation_pb2

MODEL = "modelgate.model"
"""The catalog id of the deployment this attempt called."""
ATTEMPT = "modelgate.attempt"
"""The attempt's number within its call (1-based: retries and fallbacks count on)."""
ATTEMPT_REASON = "modelgate.attempt.reason"
"""The ErrorInfo reason of the failure that led to this attempt (retries, fallbacks)."""

Op = gen_ai.GenAiOperationNameValues
OPERATIONS = {
    "chat": Op.CHAT.value,
    "stream_chat": Op.CHAT.value,
    "complete": Op.TEXT_COMPLETION.value,
    "stream_complete": Op.TEXT_COMPLETION.value,
    "embed": Op.EMBEDDINGS.value,
    "generate_image": Op.GENERATE_CONTENT.value,
    "transcribe": Op.GENERATE_CONTENT.value,
    "stream_transcribe": Op.GENERATE_CONTENT.value,
    "speak": Op.GENERATE_CONTENT.value,
}
"""A backend operation's `gen_ai.operation.name`. The conventions name no image, speech
or transcription operation: the media ones are their multimodal `generate_content`, told
apart by `gen_ai.output.type` (`OUTPUT_TYPES`)."""
_CHATS = frozenset(("chat", "stream_chat"))
_FLOATS = (
    ("temperature", gen_ai.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", gen_ai.GEN_AI_REQUEST_TOP_P),
    ("presence_penalty", gen_ai.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", gen_ai.GEN_AI_REQUEST_FREQUENCY_PENALTY),
)
_INTEGERS = (
    ("max_output_tokens", gen_ai.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", gen_ai.GEN_AI_REQUEST_SEED),
    ("top_k", gen_ai.GEN_AI_REQUEST_TOP_K),
)
_JSON_FORMATS = frozenset(
    {
        generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
        generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
    }
)
UNIQUE_PER_CALL = frozenset((gen_ai.GEN_AI_RESPONSE_ID, gen_ai.GEN_AI_CONVERSATION_ID))
"""Attributes whose value is new on almost every call: the encoder frames them without
keeping them (`otlp_encoding.AttributeCache.unique_keys`)."""
_TEXT, _JSON = gen_ai.GenAiOutputTypeValues.TEXT.value, gen_ai.GenAiOutputTypeValues.JSON.value
OUTPUT_TYPES = {
    "generate_image": gen_ai.GenAiOutputTypeValues.IMAGE.value,
    "speak": gen_ai.GenAiOutputTypeValues.SPEECH.value,
}
"""`gen_ai.output.type` of an operation whose output is not text (embeddings have none)."""


def float32(value: float) -> float:
    """A float32 as the shortest decimal that reads back as the same float32."""
    return float(f"{value:.7g}")


def server_of(endpoint: str) -> tuple[str, int] | None:
    """`server.address` and `server.port` of a runtime's public base URL (None without one)."""
    parts = urlsplit(endpoint)
    if not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.hostname, port


class Deployment(NamedTuple):
    """What every CLIENT span of one deployment and operation shares."""

    attributes: Mapping[str, Any]
    """Operation, provider, models, server address and port: read-only, shared."""
    span_name: str
    first: Mapping[str, Any]
    """`attributes`, then what a first attempt that sets no parameter and wants text (or
    embeddings) adds: attempt 1 (and the text output type). Most attempts are such: their
    span has no attribute of its own until the answer, and the encoder frames the block
    once, where each own attribute is a dict lookup on the call and another on export."""
    answered: Mapping[str, Any]
    """`first`, then the response model: such an attempt's block once the upstream answered
    (the same attributes in the same order as when each is set on the span)."""


_DEPLOYMENTS: dict[tuple[int, str], tuple[Target, Deployment]] = {}
"""Per (deployment, operation), built once. Keyed by the target's id with the target
itself kept beside it (so the id cannot be reused while cached); cleared when reloads
have left too many behind."""
_DEPLOYMENTS_KEPT = 1024


def deployment_attributes(target: Target, operation: str) -> Deployment:
    """The span attributes that depend on the deployment alone (and the span's name)."""
    key = (id(target), operation)
    kept = _DEPLOYMENTS.get(key)
    if kept is not None and kept[0] is target:
        return kept[1]
    attributes: dict[str, Any] = {
        gen_ai.GEN_AI_OPERATION_NAME: OPERATIONS[operation],
        gen_ai.GEN_AI_PROVIDER_NAME: target.record.provider,
        gen_ai.GEN_AI_REQUEST_MODEL: target.upstream_name,
        MODEL: target.id,
    }
    server = server_of(target.record.endpoint) if target.record.endpoint else None
    if server is not None:
        attributes[SERVER_ADDRESS], attributes[SERVER_PORT] = server
    first = {**attributes, ATTEMPT: 1}
    if operation != "embed":
        first[gen_ai.GEN_AI_OUTPUT_TYPE] = OUTPUT_TYPES.get(operation, _TEXT)
    answered = {**first, gen_ai.GEN_AI_RESPONSE_MODEL: target.upstream_name}
    name = f"{OPERATIONS[operation]} {target.upstream_name}"
    deployment = Deployment(
        MappingProxyType(attributes), name, MappingProxyType(first), MappingProxyType(answered)
    )
    if len(_DEPLOYMENTS) >= _DEPLOYMENTS_KEPT:
        _DEPLOYMENTS.clear()
    _DEPLOYMENTS[key] = (target, deployment)
    return deployment


def request_attributes(
    request: Any, operation: str, call: CallContext, deployment: Deployment
) -> tuple[Mapping[str, Any], dict[str, Any]]:
    """The span's shared block, and what this call adds to it before the upstream answers
    (a fresh dict): a first attempt with no parameter set shares `deployment.first`."""
    json_out = parameters = False
    if operation != "embed":
        if operation in _CHATS and request.HasField("response_format"):
            json_out = request.response_format.type in _JSON_FORMATS
        parameters = request.HasField("generation")
    if call.attempt == 1 and not (call.attempt_reason or json_out or parameters):
        return deployment.first, {}
    attributes: dict[str, Any] = {}
    if call.attempt:
        attributes[ATTEMPT] = call.attempt
        if call.attempt_reason:
            attributes[ATTEMPT_REASON] = call.attempt_reason
    if operation == "embed":
        return deployment.attributes, attributes
    attributes[gen_ai.GEN_AI_OUTPUT_TYPE] = _JSON if json_out else _TEXT
    if not parameters:  # no sampling parameter set: nothing to read
        return deployment.attributes, attributes
    generation = request.generation
    for field, name in _FLOATS:
        if generation.HasField(field):
            attributes[name] = float32(getattr(generation, field))
    for field, name in _INTEGERS:
        if generation.HasField(field):
            attributes[name] = getattr(generation, field)
    if generation.stop_sequences:
        attributes[gen_ai.GEN_AI_REQUEST_STOP_SEQUENCES] = list(generation.stop_sequences)
    return deployment.attributes, attributes


def answer_of(result: Any, call: CallContext, operation: str) -> Answer:
    """What the answer (a response, or a stream's end) tells (`span_answer`): its usage,
    and for generations its response id, finish reason and conversation."""
    usage = result.usage  # every answer has one; each field is read once (a upb lookup)
    if operation == "embed":  # embeddings name no response id or finish reason
        return (usage.input_tokens, usage.output_tokens, "", "", "")
    # The conversation: the answer the caller continues, else this answer's id (which the
    # next turn will name); an upstream that keeps conversations names its own.
    conversation = (
        (call.conversation_id or result.id or call.response_id) if operation in _CHATS else ""
    )
    return (
        usage.input_tokens,
        usage.output_tokens,
        result.provider_response_id,
        result.raw_finish_reason,
        conversation,
    )


def result_attributes(
    target: Target, result: Any, call: CallContext, operation: str
) -> dict[str, Any]:
    """The answer's attributes for one `set_attributes` on a span that is not ours (the
    SDK's, in the bench): the response model, then `answer_of`'s."""
    return {
        gen_ai.GEN_AI_RESPONSE_MODEL: target.upstream_name,
        **answer_attributes(answer_of(result, call, operation)),
    }


def error_type(error: BaseException) -> str:
    """`error.type` of a failed attempt (span and client metric alike): our ErrorInfo
    reason, or the exception's class name for anything else."""
    return error.reason_name if isinstance(error, GatewayError) else type(error).__name__


def record_error(span: Span, error: BaseException) -> None:
    """A failed attempt's span: `error.type` and ERROR status (with our reason as its
    description; another exception's text is not copied onto the span)."""
    kind = error_type(error)
    span.set_attribute(ERROR_TYPE, kind)
    span.set_status(Status(StatusCode.ERROR, kind if isinstance(error, GatewayError) else None))
