"""Thin typed Python client for the modelgate gRPC gateway.

    from modelgate.client import AsyncModelGate, NotFoundError

    async with AsyncModelGate("localhost:50051") as client:
        reply = await client.chat("gpt-4o", "Hello!", temperature=0.2)

`AsyncModelGate` is async (grpc.aio); `ModelGate` is its blocking twin with
the same methods, generated from it. Chat and completion options are one
typed set (`ChatOptions`, `CompleteOptions`, `GenerationOptions`), so a type
checker catches a misspelled keyword. Responses are the generated protobuf messages of
`modelgate.v1`; failures raise `ModelGateError` subclasses chosen by status code.
JSON answers (structured output, tool-call arguments) come as JSON text; read
them as plain Python, integers as ints, with `structured_output_of()` and
`arguments_of()`. Reasoning models' thoughts come as reasoning parts
(`reasoning_of()`, `reasoning_text_of()`); `message_of()` turns an answer, and
`Transcript` a streamed one, back into the assistant turn to send on, unchanged.
With the `pydantic` extra, `parse()` returns an answer validated into a Pydantic
type and `stream_parse()` streams it as partial objects.
"""

from modelgate.client._deprecated import ModelGateClient, SyncModelGateClient
from modelgate.client._requests import (
    PromptCacheLike,
    PromptCacheOptions,
    ReasoningLike,
    ReasoningOptions,
)
from modelgate.client.aio import (
    AsyncModelGate,
    AsyncParseStream,
    AsyncResponseStream,
    AsyncTextStream,
)
from modelgate.client.answers import (
    AnswerLike,
    arguments_of,
    message_of,
    reasoning_of,
    reasoning_text_of,
    structured_output_of,
    text_of,
    tool_calls_of,
)
from modelgate.client.errors import (
    AbortedError,
    AlreadyExistsError,
    CallCancelledError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    ModelGateError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    ResourceExhaustedError,
    StructuredOutputError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    UnknownError,
    from_rpc_error,
)
from modelgate.client.media import GeneratedImage, ImageResult
from modelgate.client.messages import (
    BreakpointLike,
    JsonObjectLike,
    MessageLike,
    MessagesLike,
    PartLike,
    assistant,
    cache_breakpoint,
    image,
    json_schema,
    message,
    system,
    text,
    tool,
    tool_call,
    tool_result,
    user,
)
from modelgate.client.options import ChatOptions, CompleteOptions, GenerationOptions, RequestOptions
from modelgate.client.service_config import (
    DEFAULT_SERVICE_CONFIG,
    DEFAULT_TIMEOUTS,
    build_service_config,
)
from modelgate.client.sync import ModelGate, ParseStream, ResponseStream, TextStream
from modelgate.client.transcript import ReasoningText, Transcript
from modelgate.client.typed_output import Parsed, Partial

__all__ = [
    "DEFAULT_SERVICE_CONFIG",
    "DEFAULT_TIMEOUTS",
    "AbortedError",
    "AlreadyExistsError",
    "AnswerLike",
    "AsyncModelGate",
    "AsyncParseStream",
    "AsyncResponseStream",
    "AsyncTextStream",
    "BreakpointLike",
    "CallCancelledError",
    "ChatOptions",
    "CompleteOptions",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "GeneratedImage",
    "GenerationOptions",
    "ImageResult",
    "InternalError",
    "InvalidArgumentError",
    "JsonObjectLike",
    "MessageLike",
    "MessagesLike",
    "ModelGate",
    "ModelGateClient",
    "ModelGateError",
    "NotFoundError",
    "OutOfRangeError",
    "ParseStream",
    "Parsed",
    "PartLike",
    "Partial",
    "PermissionDeniedError",
    "PromptCacheLike",
    "PromptCacheOptions",
    "ReasoningLike",
    "ReasoningOptions",
    "ReasoningText",
    "RequestOptions",
    "ResourceExhaustedError",
    "ResponseStream",
    "StructuredOutputError",
    "SyncModelGateClient",
    "TextStream",
    "Transcript",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "arguments_of",
    "assistant",
    "build_service_config",
    "cache_breakpoint",
    "from_rpc_error",
    "image",
    "json_schema",
    "message",
    "message_of",
    "reasoning_of",
    "reasoning_text_of",
    "structured_output_of",
    "system",
    "text",
    "text_of",
    "tool",
    "tool_call",
    "tool_calls_of",
    "tool_result",
    "user",
]
