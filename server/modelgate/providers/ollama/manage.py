"""Ollama's model-management answers (tags, show, ps, pull) to proto records.

Capabilities come from `/api/show`'s `capabilities` list when Ollama sends it
(0.6 and later): it is authoritative, read from the model's own metadata.
Without it (older Ollama, or /api/show failed) a heuristic decides:
a model whose name contains "embed" or whose family is a BERT encoder is an
embedding model (and nothing else: Ollama refuses to chat with encoders);
any other model chats, completes, streams, calls tools and follows JSON
schemas, and sees images when its families include a CLIP projector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import timestamp_pb2

from modelgate.v1 import model_pb2

EMBEDDING_FAMILIES = frozenset({"bert", "nomic-bert", "xlm-roberta", "jina-bert-v2"})
VISION_FAMILIES = frozenset({"clip", "mllama"})


@dataclass(frozen=True, slots=True)
class ShowFacts:
    """What discovery keeps from /api/show, cached per model digest."""

    capabilities: tuple[str, ...] | None
    context_window: int = 0
    embedding_dimension: int = 0


def timestamp(raw: Any) -> timestamp_pb2.Timestamp | None:
    """An RFC 3339 time (Go's format, any offset, up to nanoseconds); None when unusable."""
    if not isinstance(raw, str) or not raw:
        return None
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromJsonString(raw)
    except ValueError:
        return None
    return stamp


def _int(value: Any, bits: int = 63) -> int:
    """A non-negative int that fits the proto field (int64, or int32 with bits=31), else 0."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**bits:
        return value
    return 0


def _object(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else {} (listings are read leniently: one odd entry
    must not hide the rest)."""
    return value if isinstance(value, dict) else {}


def show_facts(data: Any) -> ShowFacts:
    """Capabilities, context length and embedding width from an /api/show answer."""
    if not isinstance(data, dict):
        return ShowFacts(None)
    raw_caps = data.get("capabilities")
    caps = tuple(str(c) for c in raw_caps) if isinstance(raw_caps, list) else None
    info = data.get("model_info") or {}
    arch = str(info.get("general.architecture") or "") if isinstance(info, dict) else ""
    if not arch:
        return ShowFacts(caps)
    return ShowFacts(
        caps,
        context_window=_int(info.get(f"{arch}.context_length"), 31),
        embedding_dimension=_int(info.get(f"{arch}.embedding_length"), 31),
    )


def _families(details: dict[str, Any]) -> set[str]:
    listed = details.get("families")
    families = {str(f) for f in listed if f} if isinstance(listed, list) else set()
    if details.get("family"):
        families.add(str(details["family"]))
    return families


def capabilities(
    name: str, details: dict[str, Any], facts: ShowFacts | None
) -> model_pb2.Capabilities:
    """The record's capabilities: /api/show's list when present, else the heuristic above."""
    if facts is not None and facts.capabilities is not None:
        caps = set(facts.capabilities)
        generates = "completion" in caps
        return model_pb2.Capabilities(
            chat=generates,
            completion=generates,
            streaming=generates,
            json_schema=generates,
            tools="tools" in caps,
            vision="vision" in caps,
            embedding="embedding" in caps,
            reasoning="thinking" in caps,
        )
    families = _families(details)
    if "embed" in name.lower() or families & EMBEDDING_FAMILIES:
        return model_pb2.Capabilities(embedding=True)
    return model_pb2.Capabilities(
        chat=True,
        completion=True,
        streaming=True,
        tools=True,
        json_schema=True,
        vision=bool(families & VISION_FAMILIES),
    )


def tag_details(entry: dict[str, Any]) -> model_pb2.ModelDetails:
    """ModelDetails from one /api/tags entry (no license, parameters or template there)."""
    details = _object(entry.get("details"))
    result = model_pb2.ModelDetails(
        family=str(details.get("family") or ""),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization_level=str(details.get("quantization_level") or ""),
        format=str(details.get("format") or ""),
        digest=str(entry.get("digest") or ""),
        size_bytes=_int(entry.get("size")),
    )
    modified = timestamp(entry.get("modified_at"))
    if modified is not None:
        result.modified_time.CopyFrom(modified)
    return result


def tag_name(entry: Any) -> str:
    """The tag (`llama3.2:latest`) of an /api/tags or /api/ps entry, "" when missing."""
    if not isinstance(entry, dict):
        return ""
    return str(entry.get("model") or entry.get("name") or "")


def model_record(
    entry: dict[str, Any], runtime: str, endpoint: str, facts: ShowFacts | None
) -> model_pb2.Model:
    """The catalog record of a discovered model, id `<tag>@<runtime>`.

    Ollama does not say who made a model, so `provider` is its family
    ("llama", "qwen2"), or "ollama" when even that is unknown.
    """
    tag = tag_name(entry)
    details = _object(entry.get("details"))
    caps = capabilities(tag, details, facts)
    return model_pb2.Model(
        id=f"{tag}@{runtime}",
        label=tag,
        provider=str(details.get("family") or "ollama"),
        runtime=runtime,
        endpoint=endpoint,
        capabilities=caps,
        context_window=facts.context_window if facts else 0,
        # an LLM's embedding_length is its hidden size, not a vector it serves
        embedding_dimension=facts.embedding_dimension if facts and caps.embedding else 0,
        availability=model_pb2.Availability(available=True),
        details=tag_details(entry),
        discovered=True,
    )


def show_details(data: Any, known: model_pb2.ModelDetails) -> model_pb2.ModelDetails:
    """ModelDetails from /api/show, keeping digest and size from the listing (show lacks them)."""
    data = _object(data)
    details = _object(data.get("details"))
    license_text = data.get("license")
    if isinstance(license_text, list):  # several licenses arrive as a list
        license_text = "\n\n".join(str(t) for t in license_text)
    result = model_pb2.ModelDetails(
        family=str(details.get("family") or known.family),
        parameter_size=str(details.get("parameter_size") or known.parameter_size),
        quantization_level=str(details.get("quantization_level") or known.quantization_level),
        format=str(details.get("format") or known.format),
        digest=known.digest,
        size_bytes=known.size_bytes,
        license=str(license_text or ""),
        parameters=str(data.get("parameters") or ""),
        template=str(data.get("template") or ""),
    )
    modified = timestamp(data.get("modified_at"))
    if modified is not None:
        result.modified_time.CopyFrom(modified)
    elif known.HasField("modified_time"):
        result.modified_time.CopyFrom(known.modified_time)
    return result


def running_model(entry: dict[str, Any], runtime: str) -> model_pb2.RunningModel:
    """One /api/ps entry; `id` is the catalog id the model has on this runtime."""
    name = tag_name(entry)
    result = model_pb2.RunningModel(
        id=f"{name}@{runtime}",
        name=name,
        size_bytes=_int(entry.get("size")),
        size_vram_bytes=_int(entry.get("size_vram")),
        digest=str(entry.get("digest") or ""),
        runtime=runtime,
    )
    expires = timestamp(entry.get("expires_at"))
    if expires is not None:
        result.expire_time.CopyFrom(expires)
    return result


def pull_progress(data: dict[str, Any]) -> model_pb2.PullModelResponse:
    """One /api/pull progress line."""
    return model_pb2.PullModelResponse(
        status=str(data.get("status") or ""),
        digest=str(data.get("digest") or ""),
        completed_bytes=_int(data.get("completed")),
        total_bytes=_int(data.get("total")),
    )
