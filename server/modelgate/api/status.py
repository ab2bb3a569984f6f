"""Ending a call with a rich status, and turning surprises into INTERNAL."""

from __future__ import annotations

import logging
import time
from typing import Any, NoReturn

import grpc

from modelgate.api.auth import caller_key_id
from modelgate.config import LimitsConfig
from modelgate.errors import GatewayError, internal
from modelgate.providers.base import CallContext

log = logging.getLogger("modelgate.api")

NO_RETRY = ("grpc-retry-pushback-ms", "-1")
"""gRPC server pushback: a client's retry policy must not retry this answer. Sent once the
router's retry loop has spent its attempts, so one logical call is retried in one place
(3 gateway attempts times 3 client attempts would be 9 upstream calls)."""


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: BaseException) -> NoReturn:
    """Abort the call with `error`'s status; anything but a GatewayError is our bug."""
    if not isinstance(error, GatewayError):
        # Log the type and traceback; the caller gets no exception text (it may hold secrets).
        log.error("unhandled error", exc_info=error)
        error = internal()
    status = error.to_status()
    trailers = status.trailing_metadata
    if error.final:
        trailers = (*trailers, NO_RETRY)
    await context.abort(status.code, status.details, trailers)
    raise AssertionError("context.abort returned")  # pragma: no cover


def call_context(
    context: grpc.aio.ServicerContext[Any, Any], limits: LimitsConfig, request: Any
) -> CallContext:
    """The call as the layers and backends see it: the caller's deadline as an absolute
    monotonic time, what the upstream may send, who the caller is (set by auth) and the
    conversation it continues."""
    remaining = context.time_remaining()
    deadline = None if remaining is None else time.monotonic() + remaining
    return CallContext(
        deadline=deadline,
        max_line_bytes=limits.upstream_max_line_bytes,
        max_answer_bytes=limits.upstream_max_answer_bytes,
        caller=caller_key_id.get(),
        conversation_id=getattr(request, "previous_response_id", ""),
    )
