"""Extension hooks run on every RPC that carries content: redaction, vetoes, chunk rewriting.

The five content RPCs (Chat, StreamChat, Complete, StreamComplete, Embed) go
through the same `before` hooks, and every answer with text through `after`
(unary) or `on_chunk` (streams). The fake upstream records each body it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.config import HookConfig, ModelConfig, RuntimeConfig
from modelgate.hooks.base import register_hook, veto
from modelgate.v1 import chat_pb2, completion_pb2, embedding_pb2
from tests.fakes import FakeOpenAI, Reply
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

EMAIL = "jane.doe@example.com"
API_KEY = "sk-abcdefghijklmnopqrstuvwx"
SECRETS = f"mail {EMAIL} the key {API_KEY} please"
REDACTED = "mail [email] the key [api-key] please"
CHAT_MODEL = "gpt-4o"
EMBED_MODEL = "text-embedding-3-small"


def _texts(request: Any) -> Iterator[str]:
    """Every caller text of a content request (chat parts, prompt, suffix, embed inputs)."""
    for message in getattr(request, "messages", ()):
        for part in message.parts:
            yield part.text
    yield getattr(request, "prompt", "")
    yield getattr(request, "suffix", "")
    yield from getattr(request, "inputs", ())


class NoSecretsPlease:
    """A third-party style hook: refuses requests that mention a codename."""

    def __init__(self, codename: str) -> None:
        self.codename = codename

    async def before(self, request: Any) -> None:
        if any(self.codename in text for text in _texts(request)):
            raise veto(f"request mentions {self.codename}", hook="no-secrets")


register_hook("no-secrets", NoSecretsPlease)


async def _chat(stub: ModelGatewayAsyncStub, text: str) -> str:
    return text_of(await stub.Chat(chat_request(CHAT_MODEL, text)))


async def _stream_chat(stub: ModelGatewayAsyncStub, text: str) -> str:
    request = chat_pb2.StreamChatRequest(model=CHAT_MODEL, messages=[user(text)])
    return "".join([e.text_delta.text async for e in stub.StreamChat(request)])


async def _complete(stub: ModelGatewayAsyncStub, text: str) -> str:
    request = completion_pb2.CompleteRequest(model=CHAT_MODEL, prompt=text)
    return (await stub.Complete(request)).text


async def _stream_complete(stub: ModelGatewayAsyncStub, text: str) -> str:
    request = completion_pb2.StreamCompleteRequest(model=CHAT_MODEL, prompt=text)
    return "".join([e.text_delta.text async for e in stub.StreamComplete(request)])


async def _embed(stub: ModelGatewayAsyncStub, text: str) -> str:
    response = await stub.Embed(embedding_pb2.EmbedRequest(model=EMBED_MODEL, inputs=[text]))
    assert len(response.embeddings) == 1
    return ""  # an embedding answer is vectors: no text to leak


Rpc = Callable[["ModelGatewayAsyncStub", str], Awaitable[str]]
CONTENT_RPCS: dict[str, Rpc] = {
    "Chat": _chat,
    "StreamChat": _stream_chat,
    "Complete": _complete,
    "StreamComplete": _stream_complete,
    "Embed": _embed,
}
TEXT_ANSWER_RPCS = {name: rpc for name, rpc in CONTENT_RPCS.items() if name != "Embed"}


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="sk-test-key-0123")
    models = [
        ModelConfig(
            id=CHAT_MODEL,
            runtime="openai",
            provider="openai",
            capabilities=["chat", "completion", "streaming"],
        ),
        ModelConfig(
            id=EMBED_MODEL, runtime="openai", provider="openai", capabilities=["embedding"]
        ),
    ]
    hooks = [
        HookConfig(name="redact", options={"answers": True}),
        HookConfig(name="no-secrets", options={"codename": "BLUEBIRD"}),
    ]
    async with serve(settings(runtimes={"openai": runtime}, models=models, hooks=hooks)) as s:
        yield s


@pytest.mark.parametrize("rpc", CONTENT_RPCS.values(), ids=CONTENT_RPCS.keys())
async def test_emails_and_keys_in_the_input_never_reach_the_upstream(
    served: Served, fake: FakeOpenAI, rpc: Rpc
) -> None:
    fake.reset()
    await rpc(served.stub, SECRETS)
    sent = fake.last_request.raw.decode()
    assert EMAIL not in sent
    assert API_KEY not in sent
    assert REDACTED in sent


@pytest.mark.parametrize("rpc", TEXT_ANSWER_RPCS.values(), ids=TEXT_ANSWER_RPCS.keys())
async def test_emails_and_keys_in_the_answer_never_reach_the_caller(
    served: Served, fake: FakeOpenAI, rpc: Rpc
) -> None:
    fake.reset()
    fake.script(Reply(text=SECRETS))
    assert await rpc(served.stub, "say something") == REDACTED


async def test_a_secret_in_one_streamed_chunk_is_redacted(served: Served, fake: FakeOpenAI) -> None:
    fake.reset()
    fake.script(Reply(chunks=["contact ", "ops@example.net", " now"]))
    assert await _stream_chat(served.stub, "x") == "contact [email] now"


@pytest.mark.parametrize("rpc", CONTENT_RPCS.values(), ids=CONTENT_RPCS.keys())
async def test_a_hook_can_veto_every_content_rpc_with_a_clear_status(
    served: Served, fake: FakeOpenAI, rpc: Rpc
) -> None:
    fake.reset()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await rpc(served.stub, "status of project BLUEBIRD?")
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_REJECTED")
    assert status.metadata == {"hook": "no-secrets"}
    assert fake.requests == [], "a vetoed request never reaches the upstream"
