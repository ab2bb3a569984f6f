"""Image URLs through the public RPC on every path: one address check, wherever the URL goes.

Three paths: OpenAI forwards the URL (OpenAI fetches it from its own network);
Ollama and LM Studio are local runtimes, so the gateway fetches the image and
sends the bytes. Every spelling of an internal address is refused on all three
with INVALID_ARGUMENT on the image's field before anything is sent or fetched;
public addresses pass. The fetching paths use a stub DNS and a recording
transport, so no test traffic leaves loopback (tests/unit/test_addresses.py
shows the real transport connecting to the pinned address).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.providers.image_fetch import Fetched, ImageFetcher, Pinned
from modelgate.providers.ollama.backend import OllamaBackend
from modelgate.v1 import chat_pb2, content_pb2, gateway_pb2_grpc
from tests.fakes import FakeModel, FakeOllama, FakeOpenAI
from tests.fakes.dns import StubResolver
from tests.gateways import settings
from tests.rpc_helpers import decode
from tests.unit.test_addresses import INTERNAL, PNG, PUBLIC, PUBLIC_DNS

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

IMAGE_FIELD = "messages[0].parts[1].image.url"
INLINE_PNG = base64.b64encode(PNG).decode()
INTERNAL_DNS = {
    "intranet.example.com": [["10.0.0.7"]],
    "metadata.example.com": [["169.254.169.254"]],
    "v6.example.com": [["::1"]],
    "mixed.example.com": [["93.184.216.34", "127.0.0.1"]],
}


class RecordingTransport:
    """Stands in for the network: records where each fetch was pinned and answers a PNG."""

    def __init__(self) -> None:
        self.pinned: list[Pinned] = []

    async def __call__(self, pinned: Pinned, max_bytes: int) -> Fetched:
        self.pinned.append(pinned)
        return Fetched(200, PNG)


@dataclass
class Upstreams:
    openai: FakeOpenAI
    lmstudio: FakeOpenAI
    ollama: FakeOllama
    dns: StubResolver
    transport: RecordingTransport

    def reset(self) -> None:
        for fake in (self.openai, self.lmstudio, self.ollama):
            fake.reset()
        self.dns.lookups.clear()
        self.transport.pinned.clear()


@dataclass(frozen=True)
class Path:
    """A model on one kind of runtime, and what its upstream received for the image."""

    model: str
    sent: Callable[[Upstreams], Any]
    fetches: bool


def _openai_image(fake: FakeOpenAI) -> Any:
    requests = fake.requests_to("/v1/chat/completions")
    return requests[-1].json["messages"][0]["content"][1]["image_url"]["url"] if requests else None


def _ollama_images(fake: FakeOllama) -> Any:
    requests = fake.requests_to("/api/chat")
    return requests[-1].json["messages"][0]["images"] if requests else None


PATHS = {
    "OpenAI passthrough": Path("gpt-4o", lambda u: _openai_image(u.openai), fetches=False),
    "Ollama fetch": Path("llava", lambda u: _ollama_images(u.ollama), fetches=True),
    "LM Studio fetch": Path("local-vision", lambda u: _openai_image(u.lmstudio), fetches=True),
}
INLINED = {
    "Ollama fetch": [INLINE_PNG],
    "LM Studio fetch": f"data:image/png;base64,{INLINE_PNG}",
}


@pytest.fixture(scope="module")
async def upstreams() -> AsyncIterator[Upstreams]:
    async with (
        FakeOpenAI() as openai,
        FakeOpenAI(lmstudio=True) as lmstudio,
        FakeOllama(models=[FakeModel("llava:7b", kind="vlm", family="llama")]) as ollama,
    ):
        dns = StubResolver({**PUBLIC_DNS, **INTERNAL_DNS})
        yield Upstreams(openai, lmstudio, ollama, dns, RecordingTransport())


@pytest.fixture(scope="module")
async def stub(upstreams: Upstreams) -> AsyncIterator[ModelGatewayAsyncStub]:
    runtimes = {
        "openai": RuntimeConfig(kind="openai", base_url=upstreams.openai.url + "/v1", api_key="k"),
        "lmstudio": RuntimeConfig(kind="lmstudio", base_url=upstreams.lmstudio.url + "/v1"),
        "ollama": RuntimeConfig(kind="ollama", base_url=upstreams.ollama.url),
    }
    vision: Any = ["chat", "streaming", "vision"]
    models = [
        ModelConfig(id="gpt-4o", runtime="openai", capabilities=vision),
        ModelConfig(
            id="local-vision", runtime="lmstudio", upstream_name="gpt-4o", capabilities=vision
        ),
        ModelConfig(id="llava", runtime="ollama", upstream_name="llava:7b", capabilities=vision),
    ]
    gateway = Gateway(settings(runtimes=runtimes, models=models))
    for runtime in ("ollama", "lmstudio"):
        backend = cast(OllamaBackend, gateway.catalog.runtimes[runtime].backend)
        backend.images = ImageFetcher(upstreams.dns, upstreams.transport)
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            yield gateway_pb2_grpc.ModelGatewayStub(channel)
    finally:
        await gateway.stop(grace=0.5)


@pytest.fixture(autouse=True)
def fresh(upstreams: Upstreams) -> None:
    upstreams.reset()


def _with_image(model: str, url: str) -> chat_pb2.ChatRequest:
    parts = [
        content_pb2.ContentPart(text="what is this?"),
        content_pb2.ContentPart(image=content_pb2.Image(url=url)),
    ]
    message = content_pb2.Message(role=content_pb2.ROLE_USER, parts=parts)
    return chat_pb2.ChatRequest(model=model, messages=[message])


async def _refused(stub: ModelGatewayAsyncStub, model: str, url: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(_with_image(model, url))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == [IMAGE_FIELD]
    return status.violations[0][1]


@pytest.mark.parametrize("url", INTERNAL.values(), ids=INTERNAL.keys())
@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
async def test_every_spelling_of_an_internal_address_is_refused_on_every_path(
    stub: ModelGatewayAsyncStub, upstreams: Upstreams, path: Path, url: str
) -> None:
    await _refused(stub, path.model, url)
    assert path.sent(upstreams) is None, "nothing reached the upstream"
    assert upstreams.transport.pinned == [], "nothing was fetched"


@pytest.mark.parametrize(("url", "address"), PUBLIC.values(), ids=PUBLIC.keys())
@pytest.mark.parametrize("name", PATHS.keys())
async def test_public_addresses_pass_on_every_path(
    stub: ModelGatewayAsyncStub, upstreams: Upstreams, name: str, url: str, address: str
) -> None:
    path = PATHS[name]
    await stub.Chat(_with_image(path.model, url))
    if not path.fetches:
        assert path.sent(upstreams) == url, "forwarded as the caller wrote it"
        assert upstreams.transport.pinned == []
        return
    assert path.sent(upstreams) == INLINED[name], "the upstream got bytes, never the URL"
    (pinned,) = upstreams.transport.pinned
    assert str(pinned.address) == address


@pytest.mark.parametrize("host", INTERNAL_DNS.keys())
@pytest.mark.parametrize("path", [p for p in PATHS.values() if p.fetches], ids=["Ollama", "LMS"])
async def test_a_name_that_resolves_inside_is_refused_where_the_gateway_fetches(
    stub: ModelGatewayAsyncStub, upstreams: Upstreams, path: Path, host: str
) -> None:
    why = await _refused(stub, path.model, f"https://{host}/cat.png")
    assert "must not point at an internal address" in why
    assert upstreams.dns.lookups == [host]
    assert path.sent(upstreams) is None
    assert upstreams.transport.pinned == []


async def test_a_name_is_forwarded_unresolved_where_the_provider_fetches(
    stub: ModelGatewayAsyncStub, upstreams: Upstreams
) -> None:
    """OpenAI resolves it from its own network: the gateway's DNS says nothing about that."""
    url = "https://intranet.example.com/cat.png"
    await stub.Chat(_with_image("gpt-4o", url))
    assert _openai_image(upstreams.openai) == url
    assert upstreams.dns.lookups == []


async def test_streamed_chat_on_a_local_runtime_sends_the_fetched_bytes(
    stub: ModelGatewayAsyncStub, upstreams: Upstreams
) -> None:
    chat = _with_image("llava", "https://images.example.com/cat.png")
    request = chat_pb2.StreamChatRequest(model=chat.model, messages=chat.messages)
    events = [event async for event in stub.StreamChat(request)]
    assert events[-1].HasField("end")
    assert _ollama_images(upstreams.ollama) == [INLINE_PNG]
