"""Gemini failures end to end: the google.rpc.Status table, RetryInfo obeyed, key hygiene."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.config import RoutingConfig
from modelgate.v1 import chat_pb2, tokens_pb2
from tests.fakes import FakeGemini, Fault, Reply
from tests.fakes.gemini_wire import error_body
from tests.integration.gemini_setup import KEY, WRONG_KEY, gemini_fixtures, gemini_gateway, path
from tests.rpc_helpers import chat_request, collect, decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

OK = grpc.StatusCode


fake, fresh_fake, gemini = gemini_fixtures()


async def _failure(gemini: Stub, streaming: bool, model: str = "gemini-test") -> Any:
    if streaming:
        request = chat_pb2.StreamChatRequest(model=model, messages=[user("hi")])
        events, error = await collect(gemini.StreamChat(request))
        assert error is not None
        assert not [e for e in events if e.HasField("text_delta")]
        return decode(error)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request(model, "hi"))
    return decode(caught.value)


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize(
    ("status", "code", "reason", "upstream_status"),
    [
        (400, OK.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", "INVALID_ARGUMENT"),
        (403, OK.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED", "PERMISSION_DENIED"),
        (404, OK.FAILED_PRECONDITION, "UPSTREAM_MODEL_NOT_FOUND", "NOT_FOUND"),
        (500, OK.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", "INTERNAL"),
        (503, OK.UNAVAILABLE, "UPSTREAM_OVERLOADED", "UNAVAILABLE"),
    ],
)
async def test_http_errors_map_by_status_with_gemini_details(
    gemini: Stub,
    fake: FakeGemini,
    *,
    streaming: bool,
    status: int,
    code: grpc.StatusCode,
    reason: str,
    upstream_status: str,
) -> None:
    fake.script(Fault.http(status))
    failure = await _failure(gemini, streaming)
    assert (failure.code, failure.reason, failure.domain) == (code, reason, "gemini")
    assert failure.metadata["http_status"] == str(status)
    assert failure.metadata["upstream_status"] == upstream_status
    assert failure.message.startswith(f"gemini returned {status}: ")
    assert len(fake.requests) == 1


@pytest.mark.parametrize("streaming", [False, True])
async def test_rate_limit_carries_retry_info_and_quota_failure(
    gemini: Stub, fake: FakeGemini, streaming: bool
) -> None:
    fake.script(Fault.rate_limited(retry_after=3))
    failure = await _failure(gemini, streaming)
    assert (failure.code, failure.reason) == (OK.RESOURCE_EXHAUSTED, "RATE_LIMITED")
    assert failure.retry_after == pytest.approx(3)
    assert failure.quota_violations == [
        (
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "generativelanguage.googleapis.com/generate_content_free_tier_requests; limit 10; "
            "location=global, model=gemini-2.5-flash",
        )
    ]
    assert "retry-after" not in fake.requests[0].headers  # the delay came from the body


async def test_a_retried_429_waits_at_least_its_retry_delay(fake: FakeGemini) -> None:
    """By construction: the router sleeps at least RetryInfo's delay before asking again."""
    routing = RoutingConfig(
        max_attempts_per_deployment=2,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.02,
        breaker_min_requests=1000,
    )
    async with gemini_gateway(fake, routing=routing) as served:
        fake.script(Fault.rate_limited(retry_after=0.5), Reply(text="recovered"))
        response = await served.stub.Chat(chat_request("gemini-test", "hi"))
    assert text_of(response) == "recovered"
    first, second = fake.requests
    assert second.at - first.at >= 0.5


async def test_a_wrong_key_is_the_operators_problem_and_never_shown(
    gemini: Stub, fake: FakeGemini
) -> None:
    failure = await _failure(gemini, False, model="gemini-badkey")
    assert (failure.code, failure.reason) == (OK.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED")
    assert failure.metadata["upstream_reason"] == "API_KEY_INVALID"
    assert failure.metadata["upstream_domain"] == "googleapis.com"
    assert fake.requests[0].headers["x-goog-api-key"] == WRONG_KEY
    assert WRONG_KEY not in failure.message


async def test_a_key_an_upstream_echoes_is_redacted_everywhere(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(Fault.http(400, body=error_body(400, f"bad key {KEY} in x-goog-api-key")))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request("gemini-test", "hi"))
    failure = decode(caught.value)
    assert KEY not in failure.message and "[redacted]" in failure.message
    assert KEY not in str(caught.value.trailing_metadata())


async def test_the_key_never_travels_in_a_url(gemini: Stub, fake: FakeGemini) -> None:
    await gemini.Chat(chat_request("gemini-test", "hi"))
    await collect(
        gemini.StreamChat(chat_pb2.StreamChatRequest(model="gemini-test", messages=[user("hi")]))
    )
    await gemini.CountTokens(tokens_pb2.CountTokensRequest(model="gemini-test", text="hi"))
    assert [r.path for r in fake.requests] == [
        path("generateContent"),
        path("streamGenerateContent"),
        path("countTokens"),
    ]
    for recorded in fake.requests:
        assert recorded.headers["x-goog-api-key"] == KEY
        assert "key" not in recorded.query
        assert KEY not in recorded.path


async def test_non_json_error_pages_are_summarized(gemini: Stub, fake: FakeGemini) -> None:
    fake.script(Fault.http(502, body=b"<html><body>Bad Gateway</body></html>"))
    failure = await _failure(gemini, False)
    assert (failure.code, failure.reason) == (OK.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    assert "Bad Gateway" in failure.message


async def test_count_tokens_errors_are_classified_the_same_way(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(Fault.rate_limited(retry_after=2), path=path("countTokens"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.CountTokens(tokens_pb2.CountTokensRequest(model="gemini-test", text="x"))
    failure = decode(caught.value)
    assert failure.code == OK.RESOURCE_EXHAUSTED
    assert failure.retry_after == pytest.approx(2)


@pytest.mark.parametrize("streaming", [False, True])
async def test_connection_reset_is_unavailable(
    gemini: Stub, fake: FakeGemini, streaming: bool
) -> None:
    fake.script(Fault.reset())
    failure = await _failure(gemini, streaming)
    assert (failure.code, failure.reason, failure.domain) == (
        OK.UNAVAILABLE,
        "UPSTREAM_UNAVAILABLE",
        "gemini",
    )
