"""Extension hooks: the shipped redaction hook, a veto, and per-chunk rewriting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.hooks.base import HookConfig, register_hook, veto
from modelgate.v1 import chat_pb2, completion_pb2
from tests.fakes import FakeOpenAI, Reply
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, text_of, user


class NoSecretsPlease:
    """A third-party style hook: refuses prompts that mention a codename."""

    def __init__(self, codename: str) -> None:
        self.codename = codename

    async def before(self, request: Any) -> None:
        for message in getattr(request, "messages", ()):
            for part in message.parts:
                if self.codename in part.text:
                    raise veto(f"prompt mentions {self.codename}", hook="no-secrets")


register_hook("no-secrets", NoSecretsPlease)


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="sk-test-key-0123")
    model = ModelConfig(
        id="gpt-4o",
        runtime="openai",
        provider="openai",
        capabilities=["chat", "completion", "streaming"],
    )
    hooks = [
        HookConfig(name="redact", options={"answers": True}),
        HookConfig(name="no-secrets", options={"codename": "BLUEBIRD"}),
    ]
    async with serve(settings(runtimes={"openai": runtime}, models=[model], hooks=hooks)) as s:
        yield s


async def test_emails_and_keys_are_redacted_before_the_upstream(
    served: Served, fake: FakeOpenAI
) -> None:
    prompt = "mail jane.doe@example.com the key sk-abcdefghijklmnopqrstuvwx please"
    await served.stub.Chat(chat_request("gpt-4o", prompt))
    sent = fake.last_request.json["messages"][0]["content"]
    assert sent == "mail [email] the key [api-key] please"
    await served.stub.Complete(
        completion_pb2.CompleteRequest(model="gpt-4o", prompt="ping bob@corp.io")
    )
    assert fake.last_request.json["prompt"] == "ping [email]"


async def test_answers_are_redacted_unary_and_streamed(served: Served, fake: FakeOpenAI) -> None:
    fake.script(Reply(text="write to admin@example.org"))
    assert text_of(await served.stub.Chat(chat_request("gpt-4o", "x"))) == "write to [email]"
    fake.script(Reply(chunks=["contact ", "ops@example.net", " now"]))
    events = [
        e
        async for e in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("x")])
        )
    ]
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == (
        "contact [email] now"
    )


async def test_a_hook_can_veto_with_a_clear_status(served: Served, fake: FakeOpenAI) -> None:
    fake.reset()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "status of project BLUEBIRD?"))
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_REJECTED")
    assert status.metadata == {"hook": "no-secrets"}
    assert fake.requests == [], "a vetoed request never reaches the upstream"
