"""The Anthropic backend end to end: upstream errors as statuses, and the router's retries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import RoutingConfig
from modelgate.v1 import chat_pb2, gateway_pb2_grpc
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Fault, Reply
from tests.integration.anthropic_backend.support import KEY, WRONG_KEY, _settings
from tests.rpc_helpers import chat_request, collect, decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# ----------------------------------------------------------------------- errors


async def test_rate_limit_is_resource_exhausted_with_retry_info(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(Fault.rate_limited(retry_after=7))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert status.reason == "RATE_LIMITED"
    assert status.domain == "anthropic"
    assert status.retry_after == pytest.approx(7)
    assert status.metadata["http_status"] == "429"
    assert status.metadata["request_id"] == fake.requests[0].request_id
    assert status.metadata["upstream_type"] == "rate_limit_error"


@pytest.mark.parametrize("streaming", [False, True])
async def test_overloaded_529_is_unavailable(
    claude: Stub, fake: FakeAnthropic, streaming: bool
) -> None:
    fake.script(Fault.overloaded())
    if streaming:
        request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("hi")])
        events, error = await collect(claude.StreamChat(request))
        assert error is not None
        assert not [e for e in events if e.HasField("text_delta")]
    else:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await claude.Chat(chat_request("claude-test", "hi"))
        error = caught.value
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == "UPSTREAM_OVERLOADED"
    assert status.metadata["http_status"] == "529"


async def test_upstream_auth_failure_is_failed_precondition_and_never_shows_the_key(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(Fault.http(401, f"invalid x-api-key: {KEY}", type="authentication_error"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert status.reason == "UPSTREAM_AUTH_FAILED"
    assert KEY not in status.message
    assert "[redacted]" in status.message
    assert KEY not in str(caught.value.trailing_metadata())


async def test_wrong_key_is_refused_by_the_upstream_as_auth_failure(
    claude: Stub, fake: FakeAnthropic
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-badkey", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert status.reason == "UPSTREAM_AUTH_FAILED"
    assert WRONG_KEY not in status.message
    assert fake.requests[0].headers["x-api-key"] == WRONG_KEY


async def test_bad_request_400_is_invalid_argument(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Fault.http(400, "messages: roles must alternate"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.reason == "UPSTREAM_BAD_REQUEST"
    assert "roles must alternate" in status.message


@pytest.mark.parametrize(
    ("error_type", "reason"),
    [("overloaded_error", "UPSTREAM_OVERLOADED"), ("api_error", "UPSTREAM_UNAVAILABLE")],
)
async def test_error_event_mid_stream_ends_the_stream_unavailable_after_deltas(
    claude: Stub, fake: FakeAnthropic, error_type: str, reason: str
) -> None:
    fake.script(Fault.stream_error(after_chunks=2, type=error_type))  # echoes the prompt
    request = chat_pb2.StreamChatRequest(
        model="claude-test", messages=[user("one two three four five")]
    )
    events, error = await collect(claude.StreamChat(request))
    assert error is not None
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "one two"
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == reason
    assert status.domain == "anthropic"
    assert status.metadata["upstream_type"] == error_type  # classified by the event's body
    assert status.metadata["request_id"] == fake.requests[0].request_id


@pytest.mark.parametrize(
    ("fault", "words", "reason"),
    [
        (Fault.truncate(), "message_stop", "UPSTREAM_UNAVAILABLE"),
        (Fault.truncate(after_chunks=1), "message_stop", "UPSTREAM_UNAVAILABLE"),
        (Fault.malformed(after_chunks=1), "malformed", "UPSTREAM_INVALID_RESPONSE"),
        (Fault.reset_mid_stream(after_chunks=1), "broke off", "UPSTREAM_UNAVAILABLE"),
    ],
    ids=["no-terminator", "cut-after-one-delta", "malformed-json", "reset-mid-stream"],
)
async def test_broken_streams_end_unavailable_never_ok(
    claude: Stub, fake: FakeAnthropic, fault: Fault, words: str, reason: str
) -> None:
    fake.script(fault)
    request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("a b c d")])
    events, error = await collect(claude.StreamChat(request))
    assert error is not None
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == reason
    assert words in status.message


@pytest.mark.parametrize("streaming", [False, True])
async def test_connection_reset_is_unavailable(
    claude: Stub, fake: FakeAnthropic, streaming: bool
) -> None:
    fake.script(Fault.reset())
    if streaming:
        request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("hi")])
        _, error = await collect(claude.StreamChat(request))
        assert error is not None
    else:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await claude.Chat(chat_request("claude-test", "hi"))
        error = caught.value
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == "UPSTREAM_UNAVAILABLE"
    assert status.domain == "anthropic"


# ------------------------------------------------------- with the router's retries


async def test_router_retries_retryable_failures_but_never_after_the_first_delta(
    fake: FakeAnthropic,
) -> None:
    """The backend marks 529 retryable; a stream broken after output is not replayed."""
    routing = RoutingConfig(
        max_attempts_per_deployment=3,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.02,
        breaker_min_requests=1000,
    )
    gateway = Gateway(_settings(fake.url, routing))
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub: Stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            fake.script(Fault.overloaded(), Reply(text="recovered"))
            response = await stub.Chat(chat_request("claude-test", "hi"))
            assert text_of(response) == "recovered"
            assert len(fake.requests) == 2

            fake.reset()
            fake.script(Fault.stream_error(after_chunks=1), Reply(text="must not be sent"))
            request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("a b c")])
            events, error = await collect(stub.StreamChat(request))
            assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
            texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
            assert "".join(texts) == "a"
            assert len(fake.requests) == 1
    finally:
        await gateway.stop(grace=1)
