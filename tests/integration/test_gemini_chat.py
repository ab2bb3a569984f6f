"""The Gemini backend's unary chat end to end: a real gateway, a real channel, FakeGemini.

Each test asserts both sides: what the caller got over gRPC and what the fake Gemini
API received, so a mapping bug shows up on whichever side it lives.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, cast

import grpc
import pytest

from modelgate.providers.gemini.backend import GeminiBackend
from modelgate.providers.image_fetch import ImageFetcher
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeGemini, ToolCall
from tests.fakes.dns import StubResolver
from tests.fakes.gemini_fake import GeminiReply
from tests.integration.gemini_setup import (
    KEY,
    SAFETY_OFF,
    WEATHER,
    gemini_fixtures,
    gemini_gateway,
    message,
    path,
    text,
)
from tests.integration.test_image_urls import RecordingTransport
from tests.rpc_helpers import chat_request, decode, system, text_of, user
from tests.unit.test_addresses import PNG as ADDRESS_PNG
from tests.unit.test_addresses import PUBLIC_DNS

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

PNG = b"\x89PNG\r\n\x1a\n" + b"not-really-an-image"
Generation = generation_pb2.GenerationConfig
SIGNATURE = "Q2lRQmpQM2JBdGhvdWdodC1zaWduYXR1cmUtYnl0ZXM="


fake, fresh_fake, gemini = gemini_fixtures()


def _only(fake: FakeGemini, method: str = "generateContent") -> dict[str, Any]:
    assert [r.path for r in fake.requests] == [path(method)]
    return fake.requests[0].json


async def test_chat_maps_system_roles_and_usage_and_sends_the_key_only_in_its_header(
    gemini: Stub, fake: FakeGemini
) -> None:
    request = chat_pb2.ChatRequest(
        model="gemini-test",
        messages=[
            system("Be brief."),
            user("Hi there"),
            user("Are you there?"),
            message(content_pb2.ROLE_ASSISTANT, text("Yes.")),
            system("Be polite."),
            user("Say hello"),
        ],
    )
    response = await gemini.Chat(request)

    sent = _only(fake)
    recorded = fake.requests[0]
    assert recorded.headers["x-goog-api-key"] == KEY
    assert recorded.query == {}  # never ?key=
    assert KEY not in recorded.path
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "Be polite."}]}
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["contents"][0]["parts"] == [{"text": "Hi there"}, {"text": "Are you there?"}]
    assert "generationConfig" not in sent  # nothing asked, nothing sent

    assert text_of(response) == "Say hello"
    assert (response.model, response.provider, response.runtime) == (
        "gemini-test",
        "gemini",
        "gemini",
    )
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.raw_finish_reason == "STOP"
    assert response.provider_response_id
    # Words: 4 system + 7 user + 1 model = 12 prompt tokens; 2 in the answer.
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 2)
    assert response.usage.total_tokens == 14
    assert response.cost.input_usd == pytest.approx(12 * 0.3 / 1e6)


async def test_generation_settings_land_in_generation_config(
    gemini: Stub, fake: FakeGemini
) -> None:
    generation = generation_pb2.GenerationConfig(
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=256,
        stop_sequences=["###", "END"],
        presence_penalty=0.5,
        frequency_penalty=-0.25,
        seed=42,
        extra_json='{"generationConfig": {"responseLogprobs": true}, "cachedContent": "c/1"}',
    )
    await gemini.Chat(chat_request("gemini-test", "hi", generation=generation))
    sent = _only(fake)
    assert sent["generationConfig"] == {
        "temperature": 0.7,
        "topP": 0.9,
        "topK": 40,
        "maxOutputTokens": 256,
        "stopSequences": ["###", "END"],
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.25,
        "seed": 42,
        "responseLogprobs": True,
    }
    assert sent["cachedContent"] == "c/1"


async def test_catalog_defaults_and_extra_are_merged(gemini: Stub, fake: FakeGemini) -> None:
    generation = generation_pb2.GenerationConfig(temperature=0.9)
    await gemini.Chat(chat_request("gemini-defaults", "hi", generation=generation))
    sent = _only(fake)
    assert sent["generationConfig"] == {"temperature": 0.9, "candidateCount": 1}
    assert sent["safetySettings"] == [SAFETY_OFF]


@pytest.mark.parametrize(
    ("generation", "field"),
    [
        (
            generation_pb2.GenerationConfig(stop_sequences=list("abcdef")),
            "generation.stop_sequences",
        ),
        (generation_pb2.GenerationConfig(seed=2**40), "generation.seed"),
    ],
)
async def test_limits_gemini_lacks_are_refused_before_the_upstream(
    gemini: Stub, fake: FakeGemini, generation: Any, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request("gemini-test", "hi", generation=generation))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in status.violations] == [field]
    assert fake.requests == []


async def test_images_become_inline_data_and_file_data(gemini: Stub, fake: FakeGemini) -> None:
    request = chat_pb2.ChatRequest(
        model="gemini-test",
        messages=[
            message(
                content_pb2.ROLE_USER,
                text("Compare"),
                content_pb2.ContentPart(image=content_pb2.Image(data=PNG, mime_type="image/png")),
                content_pb2.ContentPart(image=content_pb2.Image(url="https://example.com/a.jpg")),
                content_pb2.ContentPart(
                    image=content_pb2.Image(url="https://example.com/b?x=1", mime_type="image/webp")
                ),
            )
        ],
    )
    await gemini.Chat(request)
    assert _only(fake)["contents"][0]["parts"] == [
        {"text": "Compare"},
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/a.jpg"}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/b?x=1"}},
    ]


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_AUTO), {"mode": "AUTO"}),
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_REQUIRED), {"mode": "ANY"}),
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_NONE), {"mode": "NONE"}),
        (
            content_pb2.ToolChoice(tool_name="get_weather"),
            {"mode": "ANY", "allowedFunctionNames": ["get_weather"]},
        ),
    ],
)
async def test_tools_become_function_declarations_with_the_schema_as_written(
    gemini: Stub, fake: FakeGemini, choice: content_pb2.ToolChoice, config: dict[str, Any]
) -> None:
    tools = [
        content_pb2.Tool(
            name="get_weather", description="Weather by city", parameters_json=WEATHER
        ),
        content_pb2.Tool(name="get_time"),
    ]
    await gemini.Chat(chat_request("gemini-test", "hi", tools=tools, tool_choice=choice))
    recorded = fake.requests[0]
    assert _only(fake)["toolConfig"] == {"functionCallingConfig": config}
    assert recorded.json["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather by city",
                    "parametersJsonSchema": recorded.json["tools"][0]["functionDeclarations"][0][
                        "parametersJsonSchema"
                    ],
                },
                {"name": "get_time"},
            ]
        }
    ]
    assert b'"parametersJsonSchema":' + WEATHER.encode() in recorded.raw  # byte for byte


async def test_function_calls_come_back_with_ids_gemini_made_or_gateway_made(
    gemini: Stub, fake: FakeGemini
) -> None:
    args = {"city": "Paris", "days": 3}
    fake.script(
        GeminiReply(
            text="Checking.", tool_calls=[ToolCall("get_weather", args, id="fc_1")], call_ids=True
        ),
        GeminiReply(tool_calls=[ToolCall("get_time"), ToolCall("get_weather", args)]),
    )
    with_ids = await gemini.Chat(chat_request("gemini-test", "weather?"))
    assert [p.WhichOneof("data") for p in with_ids.content] == ["text", "tool_call"]
    call = with_ids.content[1].tool_call
    assert (call.id, call.name, call.arguments_json) == (
        "fc_1",
        "get_weather",
        '{"city":"Paris","days":3}',
    )
    assert with_ids.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    assert with_ids.raw_finish_reason == "STOP"

    without = await gemini.Chat(chat_request("gemini-test", "weather?"))
    ids = [p.tool_call.id for p in without.content]
    assert all(i.startswith("gemini-call-") for i in ids) and len(set(ids)) == 2


async def test_tool_results_go_back_as_function_responses(gemini: Stub, fake: FakeGemini) -> None:
    def call(call_id: str, name: str) -> content_pb2.ContentPart:
        return content_pb2.ContentPart(
            tool_call=content_pb2.ToolCall(id=call_id, name=name, arguments_json='{"city":"Paris"}')
        )

    def result(call_id: str, **fields: Any) -> content_pb2.ContentPart:
        return content_pb2.ContentPart(
            tool_result=content_pb2.ToolResult(tool_call_id=call_id, **fields)
        )

    request = chat_pb2.ChatRequest(
        model="gemini-test",
        messages=[
            user("weather and time?"),
            message(
                content_pb2.ROLE_ASSISTANT,
                call("fc_9", "get_weather"),
                call("gemini-call-abc", "get_time"),
            ),
            message(
                content_pb2.ROLE_TOOL,
                result("fc_9", json_text='{"temp":21,"unit":"C"}'),
                result("gemini-call-abc", text="noon"),
            ),
            message(content_pb2.ROLE_TOOL, result("fc_9", json_text="[1,2]", is_error=True)),
        ],
    )
    await gemini.Chat(request)
    sent = _only(fake)
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["contents"][1]["parts"] == [
        {"functionCall": {"id": "fc_9", "name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"name": "get_time", "args": {"city": "Paris"}}},  # our id stays home
    ]
    assert sent["contents"][2]["parts"] == [
        {
            "functionResponse": {
                "id": "fc_9",
                "name": "get_weather",
                "response": {"temp": 21, "unit": "C"},
            }
        },
        {"functionResponse": {"name": "get_time", "response": {"output": "noon"}}},
        {"functionResponse": {"id": "fc_9", "name": "get_weather", "response": {"error": [1, 2]}}},
    ]


async def test_json_schema_is_response_json_schema_and_the_answer_is_validated(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(GeminiReply(text='{"city":"Paris","days":2}'))
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, schema_name="w", schema_json=WEATHER
    )
    response = await gemini.Chat(chat_request("gemini-test", "json", response_format=fmt))
    recorded = fake.requests[0]
    assert recorded.json["generationConfig"]["responseMimeType"] == "application/json"
    assert b'"responseJsonSchema":' + WEATHER.encode() in recorded.raw
    assert response.structured_output_json == '{"city":"Paris","days":2}'


async def test_safety_stop_is_content_filter_with_the_raw_reason(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(GeminiReply(text="", finish_reason="PROHIBITED_CONTENT"))
    response = await gemini.Chat(chat_request("gemini-test", "x"))
    assert response.finish_reason == generation_pb2.FINISH_REASON_CONTENT_FILTER
    assert response.raw_finish_reason == "PROHIBITED_CONTENT"


async def test_blocked_prompt_is_invalid_argument_content_filtered(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(GeminiReply(block_reason="BLOCKLIST"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request("gemini-test", "x"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (status.reason, status.domain) == ("CONTENT_FILTERED", "gemini")
    assert status.metadata["block_reason"] == "BLOCKLIST"
    assert len(fake.requests) == 1  # not retried


async def test_an_image_url_of_unknown_type_is_fetched_by_the_gateway(fake: FakeGemini) -> None:
    transport = RecordingTransport()
    async with gemini_gateway(fake) as served:
        backend = cast(GeminiBackend, served.gateway.catalog.runtimes["gemini"].backend)
        backend.images = ImageFetcher(StubResolver(PUBLIC_DNS), transport)
        image = content_pb2.Image(url="https://images.example.com/photo")  # no type, no extension
        request = chat_pb2.ChatRequest(
            model="gemini-test",
            messages=[message(content_pb2.ROLE_USER, content_pb2.ContentPart(image=image))],
        )
        await served.stub.Chat(request)
    assert [str(p.url) for p in transport.pinned] == ["https://images.example.com/photo"]
    assert _only(fake)["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(ADDRESS_PNG).decode()}}
    ]
