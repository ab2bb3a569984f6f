"""What the RPC wrappers (auth, telemetry) need to know of a request, whatever its shape.

A unary or server-streaming call has one request; a client-streaming or bidi call
(Transcribe, StreamTranscribe) has a stream whose first message is the config that
names the model. The wrappers read that first message to admit, label and trace the
call, then hand the handler the whole stream again (`peeked`), so nothing is read twice
and nothing is buffered beyond that one message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


def requested_model(request: Any) -> str:
    """The model (or, for GetModel, the id) a request names; "" when it names none."""
    if request is None:
        return ""
    if "payload" in getattr(request, "DESCRIPTOR", _NO_ONEOFS).oneofs_by_name:
        # An upload's first message: the model is in its `config`.
        return str(request.config.model) if request.WhichOneof("payload") == "config" else ""
    requested = getattr(request, "model", "") or getattr(request, "id", "")
    return requested if isinstance(requested, str) else ""


class _NoOneofs:
    oneofs_by_name: dict[str, Any] = {}  # noqa: RUF012  # read-only stand-in


_NO_ONEOFS = _NoOneofs()


async def peeked(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The stream `first` was read from, with `first` put back in front."""
    if first is not None:
        yield first
    async for message in rest:
        yield message


async def first_of(requests: AsyncIterator[Any]) -> tuple[Any, AsyncIterator[Any]]:
    """The first message of a request stream (None when it is empty) and the whole stream."""
    iterator = aiter(requests)
    first = await anext(iterator, None)
    return first, peeked(first, iterator)
