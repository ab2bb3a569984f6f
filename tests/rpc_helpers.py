"""Helpers that decode rich gRPC statuses and build requests tersely in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from modelgate.v1 import chat_pb2, content_pb2


@dataclass
class Decoded:
    """The parts of a google.rpc.Status tests assert on."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[tuple[str, str]] = field(default_factory=list)
    retry_after: float | None = None
    quota_violations: list[tuple[str, str]] = field(default_factory=list)


def decode(error: grpc.aio.AioRpcError) -> Decoded:
    """Unpack ErrorInfo, BadRequest, RetryInfo and QuotaFailure from the trailers."""
    result = Decoded(error.code(), error.details() or "")
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None:
        return result
    status = status_pb2.Status.FromString(raw)
    assert status.message == result.message, "status message must equal the details message"
    assert status.code == result.code.value[0]
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            result.reason, result.domain, result.metadata = (
                info.reason,
                info.domain,
                dict(info.metadata),
            )
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            result.violations = [(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            result.retry_after = retry.retry_delay.ToTimedelta().total_seconds()
        elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            quota = error_details_pb2.QuotaFailure()
            detail.Unpack(quota)
            result.quota_violations = [(v.subject, v.description) for v in quota.violations]
    return result


def user(text: str) -> content_pb2.Message:
    """A user message with one text part."""
    return content_pb2.Message(
        role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=text)]
    )


def system(text: str) -> content_pb2.Message:
    """A system message with one text part."""
    return content_pb2.Message(
        role=content_pb2.ROLE_SYSTEM, parts=[content_pb2.ContentPart(text=text)]
    )


def chat_request(model: str, text: str, **fields: object) -> chat_pb2.ChatRequest:
    """A one-turn chat request."""
    return chat_pb2.ChatRequest(model=model, messages=[user(text)], **fields)  # type: ignore[arg-type]


def text_of(response: chat_pb2.ChatResponse) -> str:
    """The concatenated text parts of a chat response."""
    return "".join(p.text for p in response.content if p.WhichOneof("data") == "text")


async def collect(call: Any) -> tuple[list[Any], grpc.aio.AioRpcError | None]:
    """Every event of a stream, and the error that ended it (None when it ended OK)."""
    events: list[Any] = []
    try:
        async for event in call:
            events.append(event)
    except grpc.aio.AioRpcError as error:
        return events, error
    return events, None
