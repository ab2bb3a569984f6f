"""What the RPC wrappers (auth, telemetry) need to know of a request, whatever its shape.

A unary or server-streaming call has one request; a client-streaming or bidi call
(Transcribe, StreamTranscribe) has a stream whose first message is the config that
names the model. The wrappers read that first message to admit, label and trace the
call, then hand the handler the whole stream again (`peeked`), so nothing is read twice
and nothing is buffered beyond that one message.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator, Callable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

_STRING = FieldDescriptor.TYPE_STRING


def requested_model(request: Any) -> str:
    """The model (or, for GetModel, the id) a request names; "" when it names none.
    Runs on every call (telemetry, auth, budgets): the way to read it is worked out once
    per message type (a C-level getter for the usual `model` field)."""
    if request is None:
        return ""
    reader = _READERS.get(type(request))
    if reader is None:
        reader = _READERS[type(request)] = _reader_for(request)
    return reader(request)


def _reader_for(request: Any) -> Callable[[Any], str]:
    """How requests of `request`'s type name their model."""
    descriptor = getattr(request, "DESCRIPTOR", None)
    if descriptor is not None and "payload" in descriptor.oneofs_by_name:
        return _upload_model  # an upload's first message: the model is in its `config`
    fields = descriptor.fields_by_name if descriptor is not None else {}
    model = fields.get("model")
    if model is not None and model.type == _STRING and "id" not in fields:
        return operator.attrgetter("model")
    return _model_or_id


def _upload_model(request: Any) -> str:
    return str(request.config.model) if request.WhichOneof("payload") == "config" else ""


def _model_or_id(request: Any) -> str:
    requested = getattr(request, "model", "") or getattr(request, "id", "")
    return requested if isinstance(requested, str) else ""


_READERS: dict[type, Callable[[Any], str]] = {}


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
