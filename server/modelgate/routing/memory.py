"""What the gateway remembers between calls: conversations, cached answers, usage totals.

Continuity works on every provider. Models with `conversation: upstream`
(Responses API servers that keep state: OpenAI proper by default) continue
natively, their `resp_...` id being ours; for the rest the gateway stores each
answered conversation under its own response id, per caller key, and replays it
when a request names it in `previous_response_id`, so the upstream never sees
the id.

The cache is exact-match over the canonical request (see state.cache.cache_key),
per caller key unless `state.cache_scope` is `shared`, and only for answers that
are reproducible: greedy (temperature 0) or seeded, unless the caller opts in with
`allow_sampled`. Unary answers are stored;
streams can be served from the cache as a replayed stream.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, cast

from modelgate.admin.v1 import admin_pb2
from modelgate.config import StateConfig
from modelgate.errors import response_not_found, state_unavailable
from modelgate.routing.catalog import Deployment
from modelgate.state.cache import cache_key
from modelgate.state.errors import StateUnavailableError
from modelgate.state.factory import State
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2

log = logging.getLogger(__name__)
R = TypeVar("R", bound=chat_pb2.ChatRequest)
USE = generation_pb2.CACHE_MODE_USE
BYPASS = generation_pb2.CACHE_MODE_BYPASS


def _reproducible(request: Any) -> bool:
    generation = request.generation
    greedy = generation.HasField("temperature") and generation.temperature == 0
    return bool(greedy or generation.HasField("seed") or request.cache_control.allow_sampled)


class Memory:
    """Continuity, cache and totals over one State backend."""

    def __init__(self, state: State, config: StateConfig) -> None:
        self.state = state
        self.config = config

    async def with_history(self, request: R, caller: str) -> tuple[R, str]:
        """A copy of `request` continuing the stored conversation its `previous_response_id`
        names (history first, then the new messages; the id cleared on the copy), and
        that conversation's id."""
        previous = request.previous_response_id
        try:
            stored = await self.state.conversations.load(previous, caller)
        except StateUnavailableError as exc:
            raise state_unavailable("conversation store", exc) from exc
        if stored is None:
            raise response_not_found(previous)
        continued = type(request)(messages=stored.messages)
        # Repeated fields append: the history, then the new messages.
        continued.MergeFrom(cast(Any, request))
        continued.previous_response_id = ""
        return continued, stored.conversation_id

    async def remember(
        self,
        request: Any,
        response_id: str,
        content: Any,
        deployment: Deployment,
        caller: str,
        *,
        conversation_id: str,
    ) -> None:
        """Store the conversation including the answer under `response_id`, as part of
        `conversation_id` ("": the answer starts one)."""
        if deployment.target.conversation == "upstream":
            return
        answer = content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=content)
        try:
            await self.state.conversations.save(
                response_id,
                caller,
                [*request.messages, answer],
                deployment.record.id,
                conversation_id=conversation_id,
            )
        except StateUnavailableError as exc:
            # The answer exists and was paid for: deliver it; only its continuation is lost.
            log.warning("conversation %s not stored: %s", response_id, exc)

    def cache_mode(self, request: Any, deployment: Deployment) -> int:
        """USE, REFRESH or BYPASS for this request on this deployment."""
        mode: int = request.cache_control.mode
        if mode == generation_pb2.CACHE_MODE_UNSPECIFIED:
            mode = USE if deployment.target.cache else BYPASS
        if mode != BYPASS and not _reproducible(request):
            return BYPASS
        return mode

    def _cache_key(self, request: Any, deployment: Deployment, caller: str) -> str:
        """The entry of `request` on `deployment`, in `caller`'s scope unless it is shared."""
        scope = "" if self.config.cache_scope == "shared" else caller
        return cache_key(deployment.record.id, request, scope)

    async def cached(
        self, request: Any, deployment: Deployment, caller: str
    ) -> chat_pb2.ChatResponse | None:
        """A cached answer for the request, as `caller` may be served it, or None."""
        if self.cache_mode(request, deployment) != USE:
            return None
        try:
            raw = await self.state.cache.get(self._cache_key(request, deployment, caller))
        except StateUnavailableError:
            return None  # a cache outage is a miss, never a failed call
        if raw is None:
            return None
        response = chat_pb2.ChatResponse.FromString(raw)
        response.metadata["cache"] = "hit"
        return response

    async def store(
        self, request: Any, deployment: Deployment, response: chat_pb2.ChatResponse, caller: str
    ) -> None:
        """Cache a fresh unary answer, in `caller`'s scope, when the request's mode allows it."""
        if self.cache_mode(request, deployment) == BYPASS:
            return
        key = self._cache_key(request, deployment, caller)
        try:
            await self.state.cache.set(
                key, response.SerializeToString(), self.config.cache_ttl_seconds
            )
        except StateUnavailableError as exc:
            log.warning("response not cached: %s", exc)

    async def count(
        self, model: str, usage: generation_pb2.Usage, cost_usd: float, caller: str
    ) -> None:
        """Add one answered call to its hour's usage for (caller key, model)."""
        row = admin_pb2.UsageRow(
            key_id=caller,
            model=model,
            requests=1,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=cost_usd,
        )
        try:
            await self.state.totals.add(row)
        except StateUnavailableError as exc:  # reporting must not fail calls
            log.warning("usage not recorded: %s", exc)
