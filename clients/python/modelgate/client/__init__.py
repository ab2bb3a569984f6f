"""Thin typed Python client for the modelgate gRPC gateway.

    from modelgate.client import ModelGateClient, NotFoundError

    async with ModelGateClient("localhost:50051") as client:
        reply = await client.chat("gpt-4o", "Hello!")

`ModelGateClient` is async (grpc.aio); `SyncModelGateClient` is its blocking
twin with the same methods. Responses are the generated protobuf messages of
`modelgate.v1`; failures raise `ModelGateError` subclasses chosen by status code.
"""

from modelgate.client.aio import AsyncResponseStream, AsyncTextStream, ModelGateClient
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
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    UnknownError,
    from_rpc_error,
)
from modelgate.client.messages import (
    MessageLike,
    MessagesLike,
    PartLike,
    assistant,
    image,
    json_schema,
    message,
    system,
    text,
    text_of,
    tool,
    tool_call,
    tool_calls_of,
    tool_result,
    user,
)
from modelgate.client.service_config import (
    DEFAULT_SERVICE_CONFIG,
    DEFAULT_TIMEOUTS,
    build_service_config,
)
from modelgate.client.sync import ResponseStream, SyncModelGateClient, TextStream

__all__ = [
    "DEFAULT_SERVICE_CONFIG",
    "DEFAULT_TIMEOUTS",
    "AbortedError",
    "AlreadyExistsError",
    "AsyncResponseStream",
    "AsyncTextStream",
    "CallCancelledError",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "MessageLike",
    "MessagesLike",
    "ModelGateClient",
    "ModelGateError",
    "NotFoundError",
    "OutOfRangeError",
    "PartLike",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "ResponseStream",
    "SyncModelGateClient",
    "TextStream",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "assistant",
    "build_service_config",
    "from_rpc_error",
    "image",
    "json_schema",
    "message",
    "system",
    "text",
    "text_of",
    "tool",
    "tool_call",
    "tool_calls_of",
    "tool_result",
    "user",
]
