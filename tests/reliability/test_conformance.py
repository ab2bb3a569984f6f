"""gRPC interop-style cases on our RPCs, the gateway's limits, SSRF and fuzzing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from modelgate.config import LimitsConfig, ModelConfig
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, user

MAX_RECEIVE = 256 * 1024
CLIENT_MISTAKES = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.OUT_OF_RANGE,
}


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    """Small message caps; the default stream cap, so long streams end only when done."""
    limits = LimitsConfig(max_receive_message_bytes=MAX_RECEIVE, max_message_bytes=MAX_RECEIVE)
    slow = ModelConfig(
        id="echo-slow",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        options={"latency_ms": 1000},
    )
    async with serve(settings(echo=True, limits=limits, models=[slow])) as running:
        yield running


STREAM_CAP_SECONDS = 0.5


@pytest.fixture(scope="module")
async def capped() -> AsyncIterator[Served]:
    """A 0.5 s stream cap and models whose streams never end: the cap fires by construction."""
    limits = LimitsConfig(stream_max_seconds=STREAM_CAP_SECONDS)
    endless = {"repeat_stream": True}
    models = [
        ModelConfig(
            id="echo-endless-trickle",
            runtime="echo",
            provider="modelgate",
            capabilities=["chat", "completion", "streaming"],
            options={**endless, "token_interval_ms": 100},
        ),
        ModelConfig(
            id="echo-endless-fast",
            runtime="echo",
            provider="modelgate",
            capabilities=["chat", "completion", "streaming"],
            options=endless,
        ),
    ]
    async with serve(settings(echo=True, limits=limits, models=models)) as running:
        yield running


async def test_empty_and_large_unary_near_the_limit(served: Served) -> None:
    assert (await served.stub.Chat(chat_request("echo", ""))).content[0].text == ""
    big = "x" * (MAX_RECEIVE - 1024)
    response = await served.stub.Chat(chat_request("echo", big), timeout=10)
    assert len(response.content[0].text) == len(big)


async def test_unary_just_over_the_limit_is_resource_exhausted_and_server_stays_up(
    served: Served,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("echo", "x" * (MAX_RECEIVE + 1)), timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await served.stub.Chat(chat_request("echo", "ok"))).content[0].text == "ok"


async def test_server_streams_many_chunks_in_order(served: Served) -> None:
    words = [f"w{i}" for i in range(5000)]
    request = chat_pb2.StreamChatRequest(model="echo", messages=[user(" ".join(words))])
    texts = [
        e.text_delta.text
        async for e in served.stub.StreamChat(request, timeout=30)
        if e.HasField("text_delta")
    ]
    assert len(texts) == 5000
    assert "".join(texts) == " ".join(words)


async def test_cancel_before_first_response(served: Served) -> None:
    call = served.stub.StreamChat(
        chat_pb2.StreamChatRequest(model="echo-slow", messages=[user("x")])
    )
    await asyncio.sleep(0.05)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call.read()
    assert (await served.stub.Chat(chat_request("echo", "alive"))).content[0].text == "alive"


async def test_concurrent_streams_on_one_channel(served: Served) -> None:
    async def one(i: int) -> str:
        request = chat_pb2.StreamChatRequest(model="echo", messages=[user(f"stream {i} words")])
        return "".join(
            [
                e.text_delta.text
                async for e in served.stub.StreamChat(request)
                if e.HasField("text_delta")
            ]
        )

    results = await asyncio.gather(*(one(i) for i in range(100)))
    assert results == [f"stream {i} words" for i in range(100)]


async def _read_until_status(events: AsyncIterable[Any]) -> tuple[int, grpc.aio.AioRpcError]:
    """Count the deltas a stream delivers before it ends with an error status."""
    deltas = 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in events:
            deltas += event.HasField("text_delta")
    return deltas, caught.value


def _assert_stream_cap(error: grpc.aio.AioRpcError) -> None:
    status = decode(error)
    assert (status.code, status.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "LIMIT_EXCEEDED")
    assert status.metadata["limit"] == "stream_max_seconds"


# The caller's deadline is far beyond the cap: a stream the cap fails to end shows up as
# DEADLINE_EXCEEDED, not as a slow pass.
CALLER_DEADLINE = 60


@pytest.mark.parametrize("model", ["echo-endless-trickle", "echo-endless-fast"])
async def test_stream_chat_past_the_cap_ends_resource_exhausted(capped: Served, model: str) -> None:
    request = chat_pb2.StreamChatRequest(model=model, messages=[user("many words here")])
    deltas, error = await _read_until_status(
        capped.stub.StreamChat(request, timeout=CALLER_DEADLINE)
    )
    _assert_stream_cap(error)
    assert deltas > 0


@pytest.mark.parametrize("model", ["echo-endless-trickle", "echo-endless-fast"])
async def test_stream_complete_past_the_cap_ends_resource_exhausted(
    capped: Served, model: str
) -> None:
    request = completion_pb2.StreamCompleteRequest(model=model, prompt="many words here")
    deltas, error = await _read_until_status(
        capped.stub.StreamComplete(request, timeout=CALLER_DEADLINE)
    )
    _assert_stream_cap(error)
    assert deltas > 0


async def test_fast_stream_cap_fires_while_deltas_flow(capped: Served) -> None:
    """The regression: deltas arriving back to back when the cap fires must not hang the call."""
    request = chat_pb2.StreamChatRequest(model="echo-endless-fast", messages=[user("w " * 100)])
    deltas, error = await _read_until_status(
        capped.stub.StreamChat(request, timeout=CALLER_DEADLINE)
    )
    _assert_stream_cap(error)
    # Many more deltas than one answer holds: the stream was flowing, not sleeping, at the cap.
    assert deltas > 100
    assert (await capped.stub.Chat(chat_request("echo", "alive"))).content[0].text == "alive"


async def test_status_round_trips_code_message_and_details(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(
            chat_request("echo", "x", generation=generation_pb2.GenerationConfig(temperature=3))
        )
    status = decode(caught.value)  # asserts the details message equals the status message
    assert status.violations[0][0] == "generation.temperature"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://10.1.2.3/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/a.png",
        "http://localhost:8080/a.png",
        "http://192.168.0.10/a.png",
        "http://0.0.0.0/a.png",
    ],
)
async def test_image_urls_to_internal_addresses_are_refused(served: Served, url: str) -> None:
    part = content_pb2.ContentPart(image=content_pb2.Image(url=url))
    request = chat_pb2.ChatRequest(
        model="echo", messages=[content_pb2.Message(role=content_pb2.ROLE_USER, parts=[part])]
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(request)
    assert decode(caught.value).violations[0][0] == "messages[0].parts[0].image.url"


async def test_public_image_url_is_accepted(served: Served) -> None:
    part = content_pb2.ContentPart(image=content_pb2.Image(url="https://example.com/cat.png"))
    text = content_pb2.ContentPart(text="describe")
    request = chat_pb2.ChatRequest(
        model="echo", messages=[content_pb2.Message(role=content_pb2.ROLE_USER, parts=[text, part])]
    )
    assert (await served.stub.Chat(request)).content[0].text == "describe"


floats = st.floats(allow_nan=True, allow_infinity=True, width=32)
parts = st.one_of(
    st.builds(content_pb2.ContentPart, text=st.text(max_size=50)),
    st.builds(
        lambda d, m: content_pb2.ContentPart(image=content_pb2.Image(data=d, mime_type=m)),
        st.binary(max_size=20),
        st.sampled_from(["image/png", "image/jpeg", "text/plain", ""]),
    ),
    st.builds(
        lambda i, n: content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id=i, name=n)),
        st.text(max_size=8),
        st.text(max_size=8),
    ),
    st.builds(
        lambda i: content_pb2.ContentPart(
            tool_result=content_pb2.ToolResult(tool_call_id=i, text="r")
        ),
        st.text(max_size=8),
    ),
    st.just(content_pb2.ContentPart()),
)
messages = st.builds(
    lambda role, ps, name: content_pb2.Message(role=role, parts=ps, name=name),
    st.integers(min_value=-2, max_value=8),
    st.lists(parts, max_size=3),
    st.text(max_size=5),
)
generation = st.builds(
    lambda t, p, k, m, s: generation_pb2.GenerationConfig(
        temperature=t, top_p=p, top_k=k, max_output_tokens=m, stop_sequences=s
    ),
    floats,
    floats,
    st.integers(-5, 5),
    st.integers(-(2**31), 2**31 - 1),
    st.lists(st.text(max_size=3), max_size=20),
)
requests = st.builds(
    lambda model, ms, g, fmt, prev: chat_pb2.ChatRequest(
        model=model,
        messages=ms,
        generation=g,
        response_format=generation_pb2.ResponseFormat(type=fmt),
        previous_response_id=prev,
    ),
    st.sampled_from(["echo", "", "nope"]),
    st.lists(messages, max_size=4),
    generation,
    st.integers(-1, 5),
    st.sampled_from(["", "resp_x"]),
)


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=requests)
async def test_fuzzed_requests_never_crash_or_get_internal_errors(
    served: Served, request: chat_pb2.ChatRequest
) -> None:
    try:
        await served.stub.Chat(request, timeout=5)
    except grpc.aio.AioRpcError as error:
        assert error.code() in CLIENT_MISTAKES, (error.code(), error.details(), request)
