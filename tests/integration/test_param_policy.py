"""The parameter policy by example: top_k on OpenAI-compatible servers and on OpenAI itself,
the runtime's `unsupported_params: drop`, and deployments of one call that differ."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc
import pytest

from modelgate.v1 import generation_pb2
from tests.fakes import Fault
from tests.gateways import Served, serve
from tests.integration.params_gateway import RPCS, Upstreams, call, params_settings, upstreams
from tests.rpc_helpers import decode

TOP_K = generation_pb2.GenerationConfig(top_k=40)


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[Upstreams]:
    async with upstreams() as running:
        yield running


@pytest.fixture(scope="module")
async def served(fakes: Upstreams) -> AsyncIterator[Served]:
    async with serve(params_settings(fakes)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fakes: Upstreams) -> None:
    fakes.reset()


@pytest.mark.parametrize("rpc", RPCS)
@pytest.mark.parametrize("model_id", ["vllm", "lms"])
async def test_top_k_reaches_an_openai_compatible_upstream(
    served: Served, fakes: Upstreams, model_id: str, rpc: str
) -> None:
    await call(served, rpc, model_id, TOP_K)
    [sent] = fakes.posted()
    assert sent.json["top_k"] == 40


@pytest.mark.parametrize("rpc", RPCS)
async def test_top_k_on_openai_itself_is_refused_naming_the_field(
    served: Served, fakes: Upstreams, rpc: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(served, rpc, "gpt", TOP_K)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    [(field, why)] = status.violations
    assert field == "generation.top_k"
    assert "'gpt'" in why and "unsupported_params: drop" in why
    assert fakes.posted() == []


@pytest.mark.parametrize("rpc", RPCS)
async def test_drop_sends_without_the_field_and_says_so_in_the_answer(
    served: Served, fakes: Upstreams, rpc: str
) -> None:
    generation = generation_pb2.GenerationConfig(top_k=40, temperature=0.5)
    answered_by, metadata, _ = await call(served, rpc, "gpt-drop", generation)
    assert answered_by == "gpt-drop"
    assert metadata["dropped_params"] == "generation.top_k"
    [sent] = fakes.posted()
    assert "top_k" not in sent.json
    assert sent.json["temperature"] == 0.5  # what it can take still goes


async def test_drop_on_the_responses_api_names_every_dropped_field_in_proto_order(
    served: Served, fakes: Upstreams
) -> None:
    generation = generation_pb2.GenerationConfig(seed=7, stop_sequences=["END"], top_p=0.5)
    _, metadata, _ = await call(served, "StreamChat", "gpt-responses-drop", generation)
    assert metadata["dropped_params"] == "generation.stop_sequences,generation.seed"
    [sent] = fakes.posted()
    assert sent.path == "/v1/responses" and sent.json["top_p"] == 0.5
    assert not {"seed", "stop"} & set(sent.json)


async def test_each_dropped_field_is_logged_once_per_runtime(
    fakes: Upstreams, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve(params_settings(fakes)) as fresh:  # its own runtimes: nothing logged yet
        with caplog.at_level(logging.WARNING, logger="modelgate"):
            for model_id in ("gpt-drop", "gpt-drop", "gpt-responses-drop"):
                await call(fresh, "Chat", model_id, TOP_K)
    logged = [r.getMessage() for r in caplog.records if "generation.top_k" in r.getMessage()]
    assert len(logged) == 1
    assert "openai-drop" in logged[0] and "unsupported_params: drop" in logged[0]


@pytest.mark.parametrize("rpc", RPCS)
async def test_a_deployment_that_cannot_take_a_field_is_skipped_without_a_call(
    served: Served, fakes: Upstreams, rpc: str
) -> None:
    answered_by, metadata, attempts = await call(served, rpc, "gpt-then-vllm", TOP_K)
    assert answered_by == "vllm" and "dropped_params" not in metadata
    assert attempts == ["vllm"]  # no attempt at gpt-then-vllm, not even announced
    [sent] = fakes.posted()
    assert sent.json["model"] == "vllm" and sent.json["top_k"] == 40


@pytest.mark.parametrize("rpc", RPCS)
async def test_a_fallback_that_cannot_take_a_field_does_not_hide_the_real_failure(
    served: Served, fakes: Upstreams, rpc: str
) -> None:
    """The primary failed for real; its fallback has no top_k: the caller learns of the outage
    (retryable, UNAVAILABLE), not a refusal that would tell it its request was wrong."""
    fakes.openai.set_default(Fault.http(500))  # vllm-then-gpt fails; its fallback gpt has no top_k
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(served, rpc, "vllm-then-gpt", TOP_K)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert "500" in status.message
    assert {r.json["model"] for r in fakes.posted()} == {"vllm-then-gpt"}  # gpt never called


async def test_when_no_deployment_can_take_a_field_none_is_called(
    served: Served, fakes: Upstreams
) -> None:
    generation = generation_pb2.GenerationConfig(top_k=40, seed=7)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(served, "Chat", "openai-family", generation)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    violations = dict(status.violations)
    assert list(violations) == ["generation.top_k", "generation.seed"]
    assert "'gpt'" in violations["generation.top_k"]
    assert "'gpt-responses'" in violations["generation.top_k"]
    assert "'gpt-responses'" in violations["generation.seed"]
    assert "'gpt' " not in violations["generation.seed"]  # Chat Completions takes a seed
    assert fakes.posted() == []
