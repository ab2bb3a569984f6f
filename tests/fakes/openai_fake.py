"""Fake OpenAI (and LM Studio) upstream speaking the real /v1 wire format.

Bodies, chunk shapes, headers and error envelopes follow what the official
`openai` SDK parses, so gateway adapters are tested against the real contract
rather than against our own assumptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar, Literal

from aiohttp import web
from typing_extensions import override

from .base import FakeServer, sse
from .openai_chat import handle_chat
from .openai_endpoints import (
    handle_completions,
    handle_embeddings,
    handle_lms_model,
    handle_lms_models,
    handle_model,
    handle_models,
)
from .openai_media import handle_hosted_file, handle_images, handle_speech
from .openai_reasoning import (
    ReasoningField,
    UsageDialect,
)
from .openai_responses import handle_response_create, response_error_frame
from .openai_transcribe import PATH as TRANSCRIPTIONS
from .openai_transcribe import MediaUpload, handle_transcriptions
from .plan import HEX, Plan, make_plan, rid
from .scenario import FakeModel, Fault
from .text import all_text, count_words

_DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
        "Limit 500, Used 500, Requested 1. Please try again in 1s.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The server is overloaded or not ready yet."),
}


def openai_error(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> Any:
    """The `{"error": {...}}` envelope every OpenAI endpoint uses."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class FakeOpenAI(FakeServer):
    """OpenAI-compatible upstream; `lmstudio=True` adds LM Studio's /api/v0 listing.

    `responses="llama.cpp"` makes /v1/responses as strict as llama-server: input
    items need a determinable `type` and `previous_response_id` is refused (it
    keeps no conversations); see `responses_input.py`. `reasoning_field` names
    where chat answers carry `Reply.reasoning` (None: nowhere, like OpenAI);
    `usage_dialect` and `reasoning_input="rejected"` speak DeepSeek (`openai_reasoning.py`).
    """

    provider: ClassVar[str] = "openai"
    streamed_paths: ClassVar[frozenset[str]] = frozenset({TRANSCRIPTIONS})

    def __init__(
        self,
        *,
        models: Iterable[str | FakeModel] = _DEFAULT_MODELS,
        lmstudio: bool = False,
        responses: Literal["openai", "llama.cpp"] = "openai",
        reasoning_field: ReasoningField | None = None,
        usage_dialect: UsageDialect = "openai",
        reasoning_input: Literal["ignored", "rejected"] = "ignored",
        **kwargs: Any,
    ) -> None:
        self.lmstudio = lmstudio
        self.responses = responses
        self.reasoning_field: ReasoningField | None = reasoning_field
        self.usage_dialect: UsageDialect = usage_dialect
        self.reasoning_input = reasoning_input
        self.stored_responses: dict[str, dict[str, Any]] = {}
        self.issued_reasoning: dict[str, str] = {}
        """Reasoning item id -> its encrypted content ("" when not asked for)."""
        self.uploads: list[MediaUpload] = []
        """Transcription uploads as received (fields, sizes, reads; never the audio)."""
        self.hosted_files: dict[str, bytes] = {}
        """Images a DALL-E `url` answer points at (GET /fake-files/{name})."""
        super().__init__(models=models, **kwargs)

    @override
    def _routes(self) -> list[web.RouteDef]:
        routes = [
            web.post("/v1/chat/completions", self._chat),
            web.post("/v1/completions", partial(handle_completions, self)),
            web.post("/v1/embeddings", partial(handle_embeddings, self)),
            web.post("/v1/responses", partial(handle_response_create, self)),
            web.post("/v1/images/generations", partial(handle_images, self)),
            web.post(TRANSCRIPTIONS, partial(handle_transcriptions, self)),
            web.post("/v1/audio/speech", partial(handle_speech, self)),
            web.get("/fake-files/{name}", partial(handle_hosted_file, self)),
            web.get("/v1/models", partial(handle_models, self)),
            web.get("/v1/models/{model:.+}", partial(handle_model, self)),
        ]
        if self.lmstudio:
            routes += [
                web.get("/api/v0/models", partial(handle_lms_models, self)),
                web.get("/api/v0/models/{model:.+}", partial(handle_lms_model, self)),
            ]
        return routes

    # --------------------------------------------------------------- wire details
    @override
    def _new_request_id(self) -> str:
        return rid("req_", 32, HEX)

    @override
    def _headers(self, request_id: str) -> dict[str, str]:
        used = len(self.requests)
        return {
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-organization": "org-fake",
            "openai-processing-ms": "12",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-requests": str(max(10000 - used, 0)),
            "x-ratelimit-remaining-tokens": "29999000",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-reset-tokens": "0s",
        }

    @override
    def _error_body(self, fault: Fault, request: web.Request) -> tuple[int, Any]:
        body = self.body_of(request)
        model = body.get("model", "unknown") if isinstance(body, dict) else "unknown"
        status = 503 if fault.semantic == "overloaded" else fault.status
        if fault.semantic == "context_length":
            tokens = count_words(all_text(body.get("messages"))) if isinstance(body, dict) else 0
            message = (
                "This model's maximum context length is 128000 tokens. However, your messages "
                f"resulted in {max(tokens, 128001)} tokens. "
                "Please reduce the length of the messages."
            )
            return 400, openai_error(
                fault.message or message,
                fault.type or "invalid_request_error",
                fault.code or "context_length_exceeded",
                fault.param or "messages",
            )
        dtype, dcode, dmsg = _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
        return status, openai_error(
            fault.message or dmsg.format(model=model),
            fault.type or dtype,
            fault.code or dcode,
            fault.param,
        )

    @override
    def _auth_fault(self, present: bool) -> Fault:
        if present:
            msg = (
                "Incorrect API key provided: sk-fake. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            return Fault.http(401, msg, type="invalid_request_error", code="invalid_api_key")
        msg = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return Fault.http(401, msg, type="invalid_request_error")

    @override
    def _stream_error_frame(self, fault: Fault, request: web.Request) -> bytes:
        if request.path == "/v1/responses":
            return response_error_frame(fault, self.state(request).written)
        return sse(
            openai_error(fault.message or _ERRORS[500][2], fault.type or "server_error", fault.code)
        )

    @override
    def _malformed_frame(self, request: web.Request) -> bytes:
        return b'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"oops"\n\n'

    # ------------------------------------------------------------------- helpers
    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> Fault:
        return Fault.http(400, message, type="invalid_request_error", param=param, code=code)

    def check(self, request: web.Request, *required: str) -> tuple[dict[str, Any], Fault | None]:
        """Parsed body plus the 400/404 the real API gives for bad JSON, gaps, unknown models."""
        body = self.body_of(request)
        if not isinstance(body, dict):
            return {}, self.bad_request(
                "We could not parse the JSON body of your request. (HINT: This likely means you "
                "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
            )
        for name in required:
            if name not in body:
                return body, self.bad_request(
                    f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
                )
        model = body.get("model")
        if self.strict_models and isinstance(model, str) and self.find_model(model) is None:
            return body, Fault.http(404)
        return body, None

    def plan(self, request: web.Request, body: dict[str, Any], echo: str, prompt: str) -> Plan:
        """Consume this request's behaviour and resolve the answer."""
        max_tokens = body.get(
            "max_completion_tokens", body.get("max_tokens", body.get("max_output_tokens"))
        )
        return make_plan(
            self.next_behaviour(request),
            echo=echo,
            prompt_tokens=count_words(prompt),
            model=str(body.get("model", "")),
            timing=self.timing,
            call_id="call_",
            call_id_len=24,
            max_tokens=max_tokens,
        )

    @staticmethod
    def usage(plan: Plan) -> dict[str, Any]:
        """Chat-completions usage with the detail objects the SDK exposes."""
        r = plan.reply
        return {
            "prompt_tokens": plan.input_tokens,
            "completion_tokens": plan.output_tokens,
            "total_tokens": plan.input_tokens + plan.output_tokens,
            "prompt_tokens_details": {"cached_tokens": r.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": plan.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    # ---------------------------------------------------------- chat completions
    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await handle_chat(self, request)

    def listing_fault(self, request: web.Request) -> Fault | None:
        """A fault scripted for this listing path (listings never eat inference scripts)."""
        behaviour = self.next_behaviour(request, inference=False)
        return behaviour if isinstance(behaviour, Fault) else None


__all__ = ["FakeOpenAI", "openai_error"]
