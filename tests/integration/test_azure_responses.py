"""`api: responses` on the Azure OpenAI preset: the URL comes from the preset like every
other endpoint's (`preset_wiring.endpoint_path`).

Azure serves the Responses API at `{endpoint}/openai/responses` (resource-scoped: the
deployment is the body's `model`), where chat completions live under
`/openai/deployments/{deployment}`. The fake's route is the one the official SDK's
`AzureOpenAI` client calls, checked first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2
from tests.fakes.azure_responses import AZURE_RESPONSES_API_VERSION
from tests.fakes.compatible_quirks import CompatibleQuirks
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, text_of

AZURE_KEY = "azure-key-0123456789"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[CompatibleQuirks]:
    async with CompatibleQuirks(AZURE_KEY) as running:
        yield running


@pytest.fixture(scope="module")
async def served(fake: CompatibleQuirks) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(
        kind="openai_compatible",
        preset="azure_openai",
        base_url=fake.url + "/azure",
        api_key=AZURE_KEY,
        options={"api_version": AZURE_RESPONSES_API_VERSION},
    )
    model = ModelConfig(
        id="azure-responses",
        runtime="azure",
        upstream_name="gpt-4o-prod",
        api="responses",
        capabilities=["chat", "streaming"],
    )
    async with serve(settings(runtimes={"azure": runtime}, models=[model])) as running:
        yield running


async def test_the_official_azure_client_reaches_the_fakes_responses_route(
    fake: CompatibleQuirks,
) -> None:
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=fake.url + "/azure",
        api_key=AZURE_KEY,
        api_version=AZURE_RESPONSES_API_VERSION,
        max_retries=0,
    ) as client:
        answer = await client.responses.create(model="gpt-4o-prod", input="hi")
        assert answer.output_text == "Hello!"
        assert answer.usage is not None and answer.usage.total_tokens == 15
        stream = await client.responses.create(model="gpt-4o-prod", input="hi", stream=True)
        events = [event async for event in stream]
        assert events[-1].type == "response.completed"
    assert {seen.path for seen in fake.sent("azure")} == {"openai/responses"}


async def test_chat_on_azure_responses_calls_the_resource_url(
    served: Served, fake: CompatibleQuirks
) -> None:
    fake.seen.clear()
    reply = await served.stub.Chat(chat_request("azure-responses", "hi"), timeout=20)
    assert text_of(reply) == "Hello!"
    [sent] = fake.sent("azure")
    assert sent.path == "openai/responses"
    assert sent.query == {"api-version": AZURE_RESPONSES_API_VERSION}
    assert sent.headers["api-key"] == AZURE_KEY
    assert sent.body["model"] == "gpt-4o-prod"


async def test_stream_chat_on_azure_responses_calls_the_resource_url(
    served: Served, fake: CompatibleQuirks
) -> None:
    fake.seen.clear()
    request = chat_pb2.StreamChatRequest.FromString(
        chat_request("azure-responses", "hi").SerializeToString()
    )
    events = [event async for event in served.stub.StreamChat(request, timeout=20)]
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "Hello!"
    assert events[-1].HasField("end")
    [sent] = fake.sent("azure")
    assert sent.path == "openai/responses"
    assert sent.body["stream"] is True
