"""What the Ollama backend tests share: served models, gateway settings, the fake's last body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelgate.config import RuntimeConfig, Settings
from modelgate.v1 import model_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import FakeModel

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


LLAMA = "llama3.2:latest@ollama"
CHAT = "/api/chat"
GENERATE = "/api/generate"


def served_models() -> list[FakeModel]:
    """What the fake Ollama serves at the start of every test (fresh objects: `loaded` mutates)."""
    return [
        FakeModel("llama3.2:latest", family="llama", parameter_size="3.2B", size=2_019_393_189),
        FakeModel("qwen2.5:7b", family="qwen2", parameter_size="7.6B", size=4_683_087_332),
        FakeModel(
            "nomic-embed-text:latest",
            kind="embeddings",
            family="nomic-bert",
            parameter_size="137M",
            quantization="F16",
            loaded=False,
        ),
        FakeModel("llava:7b", kind="vlm", family="llama", loaded=False),
    ]


def ollama_settings(url: str) -> Settings:
    """One discovering Ollama runtime called "ollama", no configured models.

    Tests refresh the catalog themselves; the background refresh is put off for a day, or
    on a machine slow enough for this module to outlive the 30 s default it would fire
    mid-test (an extra /api/tags call, a scripted /api/show fault consumed, a removed
    model dropped from the catalog before the test expects it).
    """
    runtime = RuntimeConfig(kind="ollama", base_url=url, discover=True)
    return Settings(  # type: ignore[call-arg]
        runtimes={"ollama": runtime},
        models=[],
        discovery_interval_seconds=24 * 3600,
        _env_file=None,
    )


async def ids(stub: Stub) -> set[str]:
    """Ids of the Ollama runtime's models in ListModels."""
    listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
    return {m.id for m in listed.models}


def only_body(fake: FakeOllama, path: str) -> dict[str, Any]:
    """The JSON body of the single request the fake got on `path`."""
    sent = fake.requests_to(path)
    assert len(sent) == 1, f"expected one request to {path}, got {len(sent)}"
    return sent[0].json
