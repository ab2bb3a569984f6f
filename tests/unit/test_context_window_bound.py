"""The context-window check counts tokens only when the request's bytes could exceed a window.

`fit_plan` bounds the tokens of the messages by bytes: first by the whole request's
size (one call, the hot path), then, when that is over a window, by the messages'
own size, so large tool schemas alone never make every call count tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest

from modelgate.errors import GatewayError
from modelgate.routing.catalog import Deployment
from modelgate.routing.context_window import fit_plan
from modelgate.v1 import chat_pb2, content_pb2, model_pb2


class CountingCounter:
    """A local tokenizer that says one token per byte of text and records each use."""

    def __init__(self) -> None:
        self.calls = 0

    def local_token_count(self, _target: Any, messages: Sequence[content_pb2.Message]) -> int:
        self.calls += 1
        return sum(len(part.text.encode()) for m in messages for part in m.parts)


def deployment(window: int, counter: CountingCounter) -> Deployment:
    record = model_pb2.Model(id=f"m{window}", context_window=window)
    backend = SimpleNamespace(token_counter=lambda: counter)
    return cast(Deployment, SimpleNamespace(record=record, target=None, backend=backend))


def chat(text: str, schema_bytes: int = 0) -> chat_pb2.ChatRequest:
    request = chat_pb2.ChatRequest(model="m")
    request.messages.add(role=content_pb2.ROLE_USER).parts.add(text=text)
    if schema_bytes:
        request.tools.add(name="t", parameters_json='{"x": "' + "y" * schema_bytes + '"}')
    return request


def test_small_messages_with_large_tools_fit_without_counting() -> None:
    counter = CountingCounter()
    request = chat("hello", schema_bytes=2_000)
    assert request.ByteSize() > 1_000  # the whole request is over the window...

    plan = fit_plan([deployment(1_000, counter)], request)

    assert len(plan) == 1
    assert counter.calls == 0  # ...its messages are not, so nothing was counted


def test_a_request_under_every_window_is_never_counted() -> None:
    counter = CountingCounter()
    assert len(fit_plan([deployment(1_000, counter)], chat("hello"))) == 1
    assert counter.calls == 0


def test_messages_beyond_the_window_are_counted_and_refused() -> None:
    counter = CountingCounter()
    with pytest.raises(GatewayError) as raised:
        fit_plan([deployment(1_000, counter)], chat("x" * 2_000))
    assert raised.value.reason_name == "CONTEXT_LENGTH_EXCEEDED"
    assert counter.calls == 1
