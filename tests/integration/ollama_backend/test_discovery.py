"""The Ollama backend end to end: discovery, listing, short names, a runtime going down.

Every test checks both sides: what the caller got over gRPC and what the fake
Ollama received, so a wrong body is caught even when the answer looks right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import ModelConfig
from modelgate.routing.balancer import StatsBoard
from modelgate.v1 import chat_pb2, gateway_pb2_grpc, model_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import FakeModel, Fault, Reply
from tests.integration.ollama_backend.support import (
    CHAT,
    LLAMA,
    ids,
    ollama_settings,
    only_body,
    served_models,
)
from tests.ports import free_port
from tests.rpc_helpers import decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# -- discovery and listing -------------------------------------------------------------------


async def test_list_models_shows_discovered_models_as_tag_at_runtime(
    stub: Stub, fake: FakeOllama
) -> None:
    listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
    by_id = {m.id: m for m in listed.models}
    assert set(by_id) == {
        "llama3.2:latest@ollama",
        "qwen2.5:7b@ollama",
        "nomic-embed-text:latest@ollama",
        "llava:7b@ollama",
    }
    llama = by_id[LLAMA]
    assert llama.label == "llama3.2:latest"
    assert llama.provider == "llama"
    assert llama.runtime == "ollama"
    assert llama.endpoint == fake.url
    assert llama.discovered and llama.availability.available
    assert llama.context_window == 8192  # model_info from /api/show
    assert llama.details.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    assert llama.details.parameter_size == "3.2B"
    caps = llama.capabilities
    assert (caps.chat, caps.completion, caps.streaming, caps.tools) == (True, True, True, True)
    assert not caps.embedding and not caps.vision
    embedder = by_id["nomic-embed-text:latest@ollama"].capabilities
    assert embedder.embedding and not embedder.chat and not embedder.completion
    assert by_id["nomic-embed-text:latest@ollama"].embedding_dimension == fake.embedding_dim
    assert by_id["llava:7b@ollama"].capabilities.vision


async def test_discovery_lists_tags_and_shows_only_models_it_has_not_seen(
    gw: Gateway, fake: FakeOllama
) -> None:
    await gw.catalog.refresh()
    assert [r.method for r in fake.requests_to("/api/tags")] == ["GET"]
    assert fake.requests_to("/api/show") == []  # every digest already known
    fake.add_model(FakeModel("phi4:14b", family="phi3"))
    await gw.catalog.refresh()
    assert [r.json for r in fake.requests_to("/api/show")] == [{"model": "phi4:14b"}]


async def test_discovery_follows_models_appearing_and_vanishing(
    stub: Stub, gw: Gateway, fake: FakeOllama
) -> None:
    fake.add_model(FakeModel("gemma3:4b", family="gemma3"))
    await gw.catalog.refresh()
    assert "gemma3:4b@ollama" in await ids(stub)
    fake.remove_model("gemma3:4b")
    fake.remove_model("qwen2.5:7b")
    await gw.catalog.refresh()
    listed = await ids(stub)
    assert "gemma3:4b@ollama" not in listed
    assert "qwen2.5:7b@ollama" not in listed
    assert LLAMA in listed


async def test_discovery_falls_back_to_the_name_heuristic_when_show_fails(
    stub: Stub, gw: Gateway, fake: FakeOllama
) -> None:
    async def capabilities() -> model_pb2.Capabilities:
        listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
        return next(
            m for m in listed.models if m.id == "mxbai-embed-large:latest@ollama"
        ).capabilities

    fake.add_model(
        FakeModel("mxbai-embed-large:latest", family="bert")
    )  # its show says "completion"
    fake.script(Fault.server_error(), path="/api/show")
    await gw.catalog.refresh()
    guessed = await capabilities()
    assert guessed.embedding and not guessed.chat  # "embed" in the name
    await gw.catalog.refresh()  # a failed show is not cached: asked again, and it wins
    assert len(fake.requests_to("/api/show")) == 2
    shown = await capabilities()
    assert shown.chat and shown.tools and not shown.embedding


async def test_a_discovered_model_reports_its_health(
    stub: Stub, gw: Gateway, fake: FakeOllama
) -> None:
    gw.catalog.stats = StatsBoard(gw.settings.routing)  # no samples from other tests
    fake.script(Reply(latency_ms=100))  # slow by design: the p50 has a lower bound
    await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("hi")]))
    got = (await stub.GetModel(model_pb2.GetModelRequest(id=LLAMA))).model
    assert got.discovered
    assert (got.health.requests, got.health.latency_samples) == (1, 1)
    assert got.health.latency_p50.ToTimedelta().total_seconds() >= 0.1
    listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
    assert {m.id: m for m in listed.models}[LLAMA].health.latency_p50 == got.health.latency_p50


async def test_short_name_resolves_to_the_only_runtime_serving_it(
    stub: Stub, fake: FakeOllama
) -> None:
    response = await stub.Chat(
        chat_pb2.ChatRequest(model="llama3.2:latest", messages=[user("hi there")])
    )
    assert response.model == LLAMA
    assert response.runtime == "ollama"
    assert only_body(fake, CHAT)["model"] == "llama3.2:latest"


# -- runtime down ------------------------------------------------------------------------------


async def test_runtime_going_down_keeps_listing_and_calls_are_unavailable() -> None:
    fake = FakeOllama(models=served_models())
    await fake.start()
    gateway = Gateway(ollama_settings(fake.url))
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            await fake.stop()
            await gateway.catalog.refresh()
            assert LLAMA in await ids(stub)  # last known models stay listed
            with pytest.raises(grpc.aio.AioRpcError) as chat_error:
                await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("hi")]))
            with pytest.raises(grpc.aio.AioRpcError) as ps_error:
                await stub.ListRunningModels(model_pb2.ListRunningModelsRequest(runtime="ollama"))
    finally:
        await gateway.stop(grace=1)
        await fake.stop()
    for raised in (chat_error.value, ps_error.value):
        error = decode(raised)
        assert error.code == grpc.StatusCode.UNAVAILABLE
        assert error.reason == "UPSTREAM_UNAVAILABLE"
    assert gateway.catalog.runtimes["ollama"].error.startswith("discovery failed")


async def test_runtime_down_from_the_start_still_lists_and_calls_are_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    configured = ModelConfig(
        id="llama3.2:latest@ollama", runtime="ollama", capabilities=["chat", "streaming"]
    )
    settings = ollama_settings(url)
    settings.models = [configured]
    gateway = Gateway(settings)
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            assert await ids(stub) == {LLAMA}  # configured, nothing discovered
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("hi")])
                _ = [e async for e in stub.StreamChat(request)]
    finally:
        await gateway.stop(grace=1)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "connection refused" in error.message
