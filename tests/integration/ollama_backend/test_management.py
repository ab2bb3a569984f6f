"""The Ollama backend end to end: GetModel details and model management (pull, delete, ps, load)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import duration_pb2

from modelgate.v1 import model_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import Fault
from tests.integration.ollama_backend.support import GENERATE, LLAMA, ids, only_body
from tests.rpc_helpers import decode

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# -- model details and management --------------------------------------------------------------


async def test_get_model_adds_details_from_api_show(stub: Stub, fake: FakeOllama) -> None:
    response = await stub.GetModel(model_pb2.GetModelRequest(id="llama3.2:latest"))
    details = response.model.details
    assert only_body(fake, "/api/show") == {"model": "llama3.2:latest"}
    assert response.model.id == LLAMA
    assert (details.family, details.parameter_size, details.quantization_level) == (
        "llama",
        "3.2B",
        "Q4_K_M",
    )
    assert details.format == "gguf"
    assert details.template == "{{ .Prompt }}"
    assert details.parameters == 'stop "<|eot_id|>"'
    assert details.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    assert details.modified_time.ToDatetime(tzinfo=UTC) == datetime(
        2025, 5, 10, 15, 6, 48, 639712, tzinfo=UTC
    )


async def test_pull_streams_progress_then_the_model_is_listed(stub: Stub, fake: FakeOllama) -> None:
    progress = [
        p
        async for p in stub.PullModel(
            model_pb2.PullModelRequest(runtime="ollama", name="tinyllama")
        )
    ]
    assert progress[0].status == "pulling manifest"
    assert progress[-1].status == "success"
    sized = [p for p in progress if p.total_bytes]
    assert [p.completed_bytes for p in sized] == [
        p.total_bytes * i // 4 for i, p in enumerate(sized)
    ]
    assert sized[0].digest.startswith("sha256:")
    assert only_body(fake, "/api/pull") == {"model": "tinyllama", "insecure": False, "stream": True}
    assert "tinyllama:latest@ollama" in await ids(stub)


async def test_pull_error_line_is_unavailable_and_adds_nothing(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(
        Fault.stream_error(after_chunks=1, message="pull model manifest: file does not exist"),
        path="/api/pull",
    )
    statuses: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for p in stub.PullModel(model_pb2.PullModelRequest(runtime="ollama", name="nope")):
            statuses.append(p.status)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "file does not exist" in error.message
    assert "success" not in statuses
    assert "nope:latest@ollama" not in await ids(stub)


async def test_delete_model_removes_it_and_unknown_is_not_found(
    stub: Stub, fake: FakeOllama
) -> None:
    await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="ollama", name="qwen2.5:7b"))
    sent = fake.requests_to("/api/delete")
    assert [(r.method, r.json) for r in sent] == [("DELETE", {"model": "qwen2.5:7b"})]
    assert "qwen2.5:7b@ollama" not in await ids(stub)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="ollama", name="ghost:1b"))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "MODEL_NOT_FOUND"
    assert error.metadata == {"model": "ghost:1b", "runtime": "ollama"}


async def test_list_running_models_reads_api_ps(stub: Stub, fake: FakeOllama) -> None:
    response = await stub.ListRunningModels(model_pb2.ListRunningModelsRequest(runtime="ollama"))
    assert [r.method for r in fake.requests_to("/api/ps")] == ["GET"]
    by_id = {m.id: m for m in response.models}
    assert set(by_id) == {LLAMA, "qwen2.5:7b@ollama"}  # the fake's loaded models
    llama = by_id[LLAMA]
    assert llama.name == "llama3.2:latest" and llama.runtime == "ollama"
    assert llama.size_vram_bytes == llama.size_bytes == 2_019_393_189
    assert llama.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    expires = llama.expire_time.ToDatetime(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(minutes=4) < expires <= timedelta(minutes=5)


async def test_load_and_unload_send_keep_alive(stub: Stub, fake: FakeOllama) -> None:
    name = "llava:7b"
    await stub.LoadModel(
        model_pb2.LoadModelRequest(
            runtime="ollama", name=name, keep_alive=duration_pb2.Duration(seconds=600)
        )
    )
    await stub.LoadModel(model_pb2.LoadModelRequest(runtime="ollama", name=name))
    await stub.LoadModel(
        model_pb2.LoadModelRequest(
            runtime="ollama", name=name, keep_alive=duration_pb2.Duration(seconds=-30)
        )
    )  # any negative duration means "keep forever": Ollama's -1
    await stub.UnloadModel(model_pb2.UnloadModelRequest(runtime="ollama", name=name))
    assert [r.json for r in fake.requests_to(GENERATE)] == [
        {"model": name, "keep_alive": 600},
        {"model": name},
        {"model": name, "keep_alive": -1},
        {"model": name, "keep_alive": 0},
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.LoadModel(model_pb2.LoadModelRequest(runtime="ollama", name="ghost:1b"))
    assert decode(caught.value).code == grpc.StatusCode.NOT_FOUND
