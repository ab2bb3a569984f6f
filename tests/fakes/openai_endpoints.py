"""OpenAI legacy completions and embeddings, and LM Studio's model listing, for FakeOpenAI.

All are simple request/response shapes; living here keeps openai_fake.py about
chat completions, headers and errors.
"""

from __future__ import annotations

import base64
import struct
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .base import Frame, sse
from .plan import HEX, rid
from .scenario import FakeModel, Fault
from .text import count_words, embed

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI


async def handle_completions(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """Legacy /v1/completions, unary or streamed, one choice per prompt."""
    body, bad = fake.check(request, "model", "prompt")
    if bad is not None:
        return fake.error_response(request, bad)
    raw_prompt = body["prompt"]
    prompts = (
        raw_prompt
        if isinstance(raw_prompt, list)
        and all(isinstance(p, str) for p in raw_prompt)
        and raw_prompt
        else [str(raw_prompt)]
    )
    plan = fake.plan(request, body, prompts[0], " ".join(prompts))
    text = (prompts[0] + plan.text) if body.get("echo") else plan.text
    cid, created, fp = rid("cmpl-", 29), int(time.time()), rid("fp_", 10, HEX)
    finish = "length" if plan.finish == "length" else "stop"
    usage = {
        "prompt_tokens": plan.input_tokens,
        "completion_tokens": plan.output_tokens,
        "total_tokens": plan.input_tokens + plan.output_tokens,
    }
    if not body.get("stream"):
        out = {
            "id": cid,
            "object": "text_completion",
            "created": created,
            "model": plan.model,
            "system_fingerprint": fp,
            "usage": usage,
            "choices": [
                {"text": text, "index": i, "logprobs": None, "finish_reason": finish}
                for i in range(len(prompts))
            ],
        }
        return await fake.unary(
            request, out, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
        )
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(piece: str, index: int, reason: str | None) -> bytes:
        return sse(
            {
                "id": cid,
                "object": "text_completion",
                "created": created,
                "model": plan.model,
                "system_fingerprint": fp,
                "choices": [
                    {"text": piece, "index": index, "logprobs": None, "finish_reason": reason}
                ],
            }
        )

    frames: list[Frame] = []
    for i in range(len(prompts)):
        if body.get("echo"):
            frames.append(Frame(chunk(prompts[0], i, None)))
        frames += [Frame(chunk(p, i, None), "token") for p in plan.pieces]
        frames.append(Frame(chunk("", i, finish)))
    if include_usage:
        frames.append(
            Frame(
                sse(
                    {
                        "id": cid,
                        "object": "text_completion",
                        "created": created,
                        "model": plan.model,
                        "choices": [],
                        "usage": usage,
                    }
                )
            )
        )
    frames.append(Frame(b"data: [DONE]\n\n", "end"))
    return await fake.stream(
        request, frames, timing=plan.timing, fault=plan.fault, content_type="text/event-stream"
    )


async def handle_embeddings(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """/v1/embeddings: batched inputs, `dimensions`, float or base64 encoding."""
    body, bad = fake.check(request, "model", "input")
    if bad is not None:
        return fake.error_response(request, bad)
    raw = body["input"]
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs: list[Any] = [raw]
    else:
        inputs = list(raw) if isinstance(raw, list) else [raw]
    if not inputs or any(i == "" for i in inputs):
        return fake.error_response(
            request,
            fake.bad_request(
                "'$.input' is invalid. Please check the API reference: "
                "https://platform.openai.com/docs/api-reference.",
                "input",
            ),
        )
    dim = body.get("dimensions") or fake.embedding_dim
    texts = [i if isinstance(i, str) else " ".join(map(str, i)) for i in inputs]
    behaviour = fake.next_behaviour(request)
    fault = behaviour if isinstance(behaviour, Fault) else None
    b64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vec = embed(text, int(dim))
        value: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode() if b64 else vec
        data.append({"object": "embedding", "index": index, "embedding": value})
    if fault is not None and fault.kind == "fewer_items":
        data, fault = data[: len(data) - fault.missing], None
    tokens = sum(max(count_words(t), 1) for t in texts)
    out = {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return await fake.unary(request, out, timing=fake.timing, tokens=1, fault=fault)


def _lms_obj(m: FakeModel) -> dict[str, Any]:
    return {
        "id": m.name,
        "object": "model",
        "type": m.kind,
        "publisher": "lmstudio-community",
        "arch": m.family,
        "compatibility_type": "gguf",
        "quantization": m.quantization,
        "state": "loaded" if m.loaded else "not-loaded",
        "max_context_length": m.context_length,
    }


async def handle_lms_models(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """LM Studio's GET /api/v0/models."""
    early = await fake.pre_fault(request, fake.listing_fault(request))
    if early is not None:
        return early
    return fake.json_response(
        request, {"object": "list", "data": [_lms_obj(m) for m in fake.models]}
    )


async def handle_lms_model(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """LM Studio's GET /api/v0/models/{model}."""
    found = fake.find_model(request.match_info["model"])
    if found is None:
        return fake.json_response(request, {"error": "Model not found"}, status=404)
    return fake.json_response(request, _lms_obj(found))


def _model_obj(fake: FakeOpenAI, m: FakeModel) -> dict[str, Any]:
    owner = "organization_owner" if fake.lmstudio else "system"
    return {"id": m.name, "object": "model", "created": 1_700_000_000, "owned_by": owner}


async def handle_models(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """GET /v1/models."""
    early = await fake.pre_fault(request, fake.listing_fault(request))
    if early is not None:
        return early
    return fake.json_response(
        request, {"object": "list", "data": [_model_obj(fake, m) for m in fake.models]}
    )


async def handle_model(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """GET /v1/models/{model}: the model, or OpenAI's 404."""
    found = fake.find_model(request.match_info["model"])
    if found is None:
        return fake.error_response(
            request,
            Fault.http(
                404,
                f"The model '{request.match_info['model']}' does not exist",
                type="invalid_request_error",
                code="model_not_found",
                param="model",
            ),
        )
    return fake.json_response(request, _model_obj(fake, found))
