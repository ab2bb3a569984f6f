"""Ending a call with a rich status, and turning surprises into INTERNAL."""

from __future__ import annotations

import logging
import time
from typing import Any, NoReturn

import grpc

from modelgate.errors import GatewayError, internal
from modelgate.providers.base import CallContext

log = logging.getLogger("modelgate.api")


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: BaseException) -> NoReturn:
    """Abort the call with `error`'s status; anything but a GatewayError is our bug."""
    if not isinstance(error, GatewayError):
        # Log the type and traceback; the caller gets no exception text (it may hold secrets).
        log.error("unhandled error", exc_info=error)
        error = internal()
    status = error.to_status()
    await context.abort(status.code, status.details, status.trailing_metadata)
    raise AssertionError("context.abort returned")  # pragma: no cover


def call_context(context: grpc.aio.ServicerContext[Any, Any]) -> CallContext:
    """The backend's view of the call: the caller's deadline as an absolute monotonic time."""
    remaining = context.time_remaining()
    deadline = None if remaining is None else time.monotonic() + remaining
    return CallContext(deadline=deadline)
