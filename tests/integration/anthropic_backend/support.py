"""What the Anthropic backend tests share: the gateway settings, message builders, the fake's
last request.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from modelgate.config import ModelConfig, PricingConfig, RoutingConfig, RuntimeConfig, Settings
from modelgate.v1 import content_pb2
from tests.fakes.anthropic_fake import FakeAnthropic

KEY = "test-key-anthropic-123456"
WRONG_KEY = "wrong-key-anthropic-987654"
UPSTREAM = "claude-sonnet-4-5-20250929"
WEATHER_PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}
ALL_BUT_EMBEDDING: Any = ["chat", "completion", "streaming", "tools", "vision", "json_schema"]


def _settings(url: str, routing: RoutingConfig) -> Settings:
    runtimes = {
        "anthropic": RuntimeConfig(kind="anthropic", base_url=url, api_key=KEY),
        "anthropic-badkey": RuntimeConfig(kind="anthropic", base_url=url, api_key=WRONG_KEY),
    }
    models = [
        ModelConfig(
            id="claude-test",
            runtime="anthropic",
            provider="anthropic",
            upstream_name=UPSTREAM,
            capabilities=ALL_BUT_EMBEDDING,
            context_window=200_000,
            max_output_tokens=8192,
            pricing=PricingConfig(input=3.0, output=15.0, cached_input=0.3),
        ),
        ModelConfig(
            id="claude-defaults",
            runtime="anthropic",
            provider="anthropic",
            capabilities=ALL_BUT_EMBEDDING,
            defaults={"max_tokens": 1234},
            extra={"service_tier": "standard_only"},
        ),
        ModelConfig(id="claude-bare", runtime="anthropic", provider="anthropic"),
        ModelConfig(id="claude-badkey", runtime="anthropic-badkey", provider="anthropic"),
    ]
    return Settings(  # type: ignore[call-arg]
        runtimes=runtimes, models=models, routing=routing, _env_file=None
    )


NO_RETRIES = RoutingConfig(max_attempts_per_deployment=1, max_attempts=1, breaker_min_requests=1000)


def _only_request(fake: FakeAnthropic, path: str = "/v1/messages") -> dict[str, Any]:
    assert [r.path for r in fake.requests] == [path]
    return fake.requests[0].json


def _message(role: content_pb2.Role.ValueType, *parts: content_pb2.ContentPart) -> Any:
    return content_pb2.Message(role=role, parts=list(parts))


def _text(text: str) -> content_pb2.ContentPart:
    return content_pb2.ContentPart(text=text)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _weather_tools() -> list[content_pb2.Tool]:
    return [
        content_pb2.Tool(
            name="get_weather", description="Weather by city", parameters=_struct(WEATHER_PARAMS)
        ),
        content_pb2.Tool(name="get_time"),
    ]
