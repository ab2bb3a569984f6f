"""Model records shared by routing and the providers: `modelgate.v1.Model` from the catalog
configuration (the proto is the model), capability lookups, and how an upstream URL is
named in public (its endpoint) and in logs (host:port). Below both layers, so a backend
never imports routing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.v1 import model_pb2

MEDIA_RPCS = frozenset({"GenerateImage", "Transcribe", "StreamTranscribe", "Speak"})
"""The generating RPCs that make or read images and audio: not GenAI operations (the
conventions name none for them), so outside the `gen_ai.*` metrics."""
TEXT_RPCS = frozenset({"Chat", "StreamChat", "Complete", "StreamComplete", "Embed"})
"""The generating RPCs the GenAI conventions name an operation for (`genai_metrics.OPERATIONS`)."""
GENERATING_RPCS = TEXT_RPCS | MEDIA_RPCS
"""Every RPC that calls a model and may cost money: the access log writes a line for
each, budgets reserve and settle around each."""

CAPABILITY_FIELDS: dict[int, str] = {
    model_pb2.CAPABILITY_CHAT: "chat",
    model_pb2.CAPABILITY_COMPLETION: "completion",
    model_pb2.CAPABILITY_EMBEDDING: "embedding",
    model_pb2.CAPABILITY_STREAMING: "streaming",
    model_pb2.CAPABILITY_TOOLS: "tools",
    model_pb2.CAPABILITY_VISION: "vision",
    model_pb2.CAPABILITY_JSON_SCHEMA: "json_schema",
    model_pb2.CAPABILITY_REASONING: "reasoning",
    model_pb2.CAPABILITY_PROMPT_CACHING: "prompt_caching",
    model_pb2.CAPABILITY_IMAGE_GENERATION: "image_generation",
    model_pb2.CAPABILITY_TRANSCRIPTION: "transcription",
    model_pb2.CAPABILITY_SPEECH: "speech",
}


def public_endpoint(url: str | None) -> str:
    """The base URL without user info or query (either may carry credentials)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def host_port(url: str) -> str:
    """host:port of a URL, the way logs and errors name an upstream (never the URL)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return parts.hostname or "?"
    return f"{parts.hostname}:{port}"


def model_record(model: ModelConfig, runtime: RuntimeConfig) -> model_pb2.Model:
    """The public record of a configured model."""
    caps = set(model.capabilities)
    return model_pb2.Model(
        id=model.id,
        label=model.label or model.id,
        provider=model.provider or runtime.kind,
        runtime=model.runtime,
        endpoint=public_endpoint(runtime.resolved_base_url()),
        capabilities=model_pb2.Capabilities(
            **{name: name in caps for name in CAPABILITY_FIELDS.values()}
        ),
        context_window=model.context_window,
        max_output_tokens=model.max_output_tokens,
        embedding_dimension=model.embedding_dimension,
        pricing=model_pb2.Pricing(
            input_per_million_usd=model.pricing.input,
            output_per_million_usd=model.pricing.output,
            cached_input_per_million_usd=model.pricing.cached_input,
            cache_write_per_million_usd=model.pricing.cache_write,
            reasoning_per_million_usd=model.pricing.reasoning,
            image_prices=[
                model_pb2.ImagePrice(size=p.size, quality=p.quality, per_image_usd=p.per_image)
                for p in model.pricing.images
            ],
            transcription_per_minute_usd=model.pricing.transcription_per_minute,
            speech_per_million_characters_usd=model.pricing.speech_per_million_characters,
        ),
        availability=model_pb2.Availability(available=True),
    )


def has_capability(record: model_pb2.Model, capability: int) -> bool:
    """Whether `record` has the `modelgate.v1.Capability` value `capability`."""
    name = CAPABILITY_FIELDS.get(capability)
    return name is None or bool(getattr(record.capabilities, name))


def usage_holder(message: Any) -> Any:
    """The message carrying a finished call's usage: a unary answer itself, or a stream's
    `end` event; None for answers without usage and for stream events before the end."""
    if hasattr(message, "usage"):
        return message
    if hasattr(message, "end") and message.HasField("end"):
        return message.end
    return None
