"""With tracing on, every backend is wrapped: management, details and local counts still arrive.

On Python >= 3.12 the old `isinstance(backend, ModelManager)` did not see
through the tracing wrapper's `__getattr__`, so these RPCs answered
UNIMPLEMENTED (or listed nothing, or lost details) exactly when tracing was on.
"""

from __future__ import annotations

import grpc
import pytest

from modelgate.config import ModelConfig, RuntimeConfig, TelemetryConfig
from modelgate.telemetry.tracing import InstrumentedBackend
from modelgate.v1 import model_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import FakeModel
from tests.gateways import serve, settings
from tests.rpc_helpers import chat_request, decode

LLAMA = "llama3.2:latest@ollama"
GENERATE = "/api/generate"


async def test_management_details_and_token_counts_reach_traced_backends() -> None:
    fake = FakeOllama(
        models=[FakeModel("llama3.2:latest"), FakeModel("qwen2.5:7b", family="qwen2")]
    )
    await fake.start()
    tiny = ModelConfig(id="echo-tiny", runtime="echo", capabilities=["chat"], context_window=8)
    config = settings(
        echo=True,
        runtimes={"ollama": RuntimeConfig(kind="ollama", base_url=fake.url, discover=True)},
        models=[tiny],
        telemetry=TelemetryConfig(tracing="console"),
    )
    try:
        async with serve(config) as running:
            runtimes = running.gateway.catalog.runtimes  # tracing wraps every backend
            assert isinstance(runtimes["ollama"].backend, InstrumentedBackend)
            assert isinstance(runtimes["echo"].backend, InstrumentedBackend)
            stub = running.stub
            fake.reset()

            got = await stub.GetModel(model_pb2.GetModelRequest(id=LLAMA))
            assert len(fake.requests_to("/api/show")) == 1
            assert got.model.details.template == "{{ .Prompt }}"  # /api/tags has no template

            pulled = [
                p.status
                async for p in stub.PullModel(
                    model_pb2.PullModelRequest(runtime="ollama", name="tinyllama")
                )
            ]
            assert pulled[-1] == "success"
            assert len(fake.requests_to("/api/pull")) == 1

            one = await stub.ListRunningModels(model_pb2.ListRunningModelsRequest(runtime="ollama"))
            every = await stub.ListRunningModels(model_pb2.ListRunningModelsRequest())
            assert LLAMA in {m.id for m in one.models}
            assert {m.id for m in every.models} == {m.id for m in one.models}

            await stub.LoadModel(model_pb2.LoadModelRequest(runtime="ollama", name="qwen2.5:7b"))
            await stub.UnloadModel(
                model_pb2.UnloadModelRequest(runtime="ollama", name="qwen2.5:7b")
            )
            assert [r.json for r in fake.requests_to(GENERATE)] == [
                {"model": "qwen2.5:7b"},
                {"model": "qwen2.5:7b", "keep_alive": 0},
            ]
            await stub.DeleteModel(
                model_pb2.DeleteModelRequest(runtime="ollama", name="qwen2.5:7b")
            )
            assert [r.method for r in fake.requests_to("/api/delete")] == ["DELETE"]

            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(
                    chat_request("echo-tiny", "one two three four five six seven eight nine")
                )
            error = decode(caught.value)
            assert (error.code, error.reason) == (
                grpc.StatusCode.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
            )
            assert error.metadata["input_tokens"] == "9"  # the echo tokenizer's exact count
    finally:
        await fake.stop()
