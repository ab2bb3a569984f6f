"""LM Studio model management through the gateway's RPCs, against its REST API's fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import duration_pb2

from modelgate.config import RuntimeConfig
from modelgate.v1 import model_pb2
from tests.fakes.lmstudio_rest import GIB, FakeLMStudioRest
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode


@pytest.fixture
async def fake() -> AsyncIterator[FakeLMStudioRest]:
    async with FakeLMStudioRest() as running:
        yield running


@pytest.fixture
async def served(fake: FakeLMStudioRest) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(
        kind="lmstudio", base_url=fake.url + "/v1", options={"download_poll_seconds": 0.01}
    )
    async with serve(settings(runtimes={"lms": runtime})) as running:
        yield running


async def test_load_list_and_unload_a_model(served: Served, fake: FakeLMStudioRest) -> None:
    await served.stub.LoadModel(
        model_pb2.LoadModelRequest(runtime="lms", name="qwen/qwen3-4b"), timeout=20
    )
    listed = await served.stub.ListRunningModels(
        model_pb2.ListRunningModelsRequest(runtime="lms"), timeout=20
    )
    assert [(m.id, m.name, m.size_bytes, m.runtime) for m in listed.models] == [
        ("qwen/qwen3-4b@lms", "qwen/qwen3-4b", 3 * GIB, "lms")
    ]
    await served.stub.UnloadModel(
        model_pb2.UnloadModelRequest(runtime="lms", name="qwen/qwen3-4b@lms"), timeout=20
    )
    assert fake.loaded == {}
    assert ("POST", "/api/v1/models/unload", {"instance_id": "qwen/qwen3-4b"}) in fake.requests


async def test_pull_downloads_and_reports_progress_until_success(
    served: Served, fake: FakeLMStudioRest
) -> None:
    request = model_pb2.PullModelRequest(runtime="lms", name="ibm/granite-4-micro")
    events = [e async for e in served.stub.PullModel(request, timeout=20)]
    assert [e.status for e in events] == ["downloading", "downloading", "completed", "success"]
    assert events[1].completed_bytes == GIB and events[1].total_bytes == 2 * GIB
    assert "ibm/granite-4-micro" in fake.on_disk


async def test_pulling_a_model_already_there_succeeds_at_once(served: Served) -> None:
    request = model_pb2.PullModelRequest(runtime="lms", name="qwen/qwen3-4b")
    events = [e async for e in served.stub.PullModel(request, timeout=20)]
    assert [e.status for e in events] == ["already_downloaded", "success"]


@pytest.mark.parametrize("rpc", ["load", "unload", "pull"])
async def test_an_unknown_model_is_not_found_naming_the_runtime(served: Served, rpc: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        if rpc == "load":
            await served.stub.LoadModel(
                model_pb2.LoadModelRequest(runtime="lms", name="no/such"), timeout=20
            )
        elif rpc == "unload":
            await served.stub.UnloadModel(
                model_pb2.UnloadModelRequest(runtime="lms", name="no/such"), timeout=20
            )
        else:
            request = model_pb2.PullModelRequest(runtime="lms", name="no/such")
            [e async for e in served.stub.PullModel(request, timeout=20)]
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.NOT_FOUND
    assert "'no/such'" in status.message and "'lms'" in status.message


async def test_delete_is_unimplemented_naming_what_the_api_lacks(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.DeleteModel(
            model_pb2.DeleteModelRequest(runtime="lms", name="qwen/qwen3-4b"), timeout=20
        )
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.UNIMPLEMENTED
    assert "no delete" in status.message


async def test_options_the_api_lacks_are_refused_naming_the_field(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.LoadModel(
            model_pb2.LoadModelRequest(
                runtime="lms", name="qwen/qwen3-4b", keep_alive=duration_pb2.Duration(seconds=60)
            ),
            timeout=20,
        )
    assert decode(caught.value).violations[0][0] == "keep_alive"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        request = model_pb2.PullModelRequest(runtime="lms", name="x/y", insecure=True)
        [e async for e in served.stub.PullModel(request, timeout=20)]
    assert decode(caught.value).violations[0][0] == "insecure"
