"""The prompt-template layer: a request naming a catalog template is rendered before
anything else sees it.

Outermost, so every layer behind it (hooks, continuity, the cache, the router's
context-window fit) works on the rendered prompt as if the caller had sent it. The
caller's request is never changed: the layer passes on a copy with the template's
rendered messages before the request's own, and the template's defaults (model,
generation settings, response format) where the request left them unset. Assembled
only when `prompts:` is configured; a request without `prompt` goes straight through.
"""

from __future__ import annotations

from collections.abc import Awaitable

from google.protobuf.message import Message
from typing_extensions import override

from modelgate.errors.factories import invalid_argument
from modelgate.providers.base import CallContext
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.routing.prompts import PromptCatalog
from modelgate.v1 import chat_pb2


class PromptTemplates(Layer):
    """Renders `ChatRequest.prompt_template` into a copy of the request."""

    def __init__(self, inner: Calls, prompts: PromptCatalog) -> None:
        super().__init__(inner)
        self.prompts = prompts

    @override
    def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[chat_pb2.ChatResponse]:
        if request.HasField("prompt_template"):
            request = self.rendered(request)
        return self.inner.chat(request, call, plan)

    @override
    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        if request.HasField("prompt_template"):
            request = self.rendered(request)
        return self.inner.stream_chat(request, call, plan)

    def rendered(self, request: chat_pb2.ChatRequest) -> chat_pb2.ChatRequest:
        """A copy of `request` with the template applied (the caller's stays as sent)."""
        template = self.prompts.get(request.prompt_template.id, request.prompt_template.version)
        out = chat_pb2.ChatRequest()
        out.CopyFrom(request)
        del out.messages[:]
        out.messages.extend(template.render(request.prompt_template.variables_json))
        out.messages.extend(request.messages)
        defaults = template.record.defaults
        if not out.model:
            out.model = defaults.model
            if not out.model:
                raise invalid_argument(
                    [("model", f"is required: prompt {template.record.id!r} names no model")]
                )
        if defaults.HasField("generation"):
            fill_unset(out.generation, defaults.generation)
        if defaults.HasField("response_format") and not out.HasField("response_format"):
            out.response_format.CopyFrom(defaults.response_format)
        return out


def fill_unset(target: Message, defaults: Message) -> None:
    """Each field `defaults` sets copied into `target` where `target` leaves it unset (a
    field with presence not present, an empty list or map, a zero scalar)."""
    for field, value in defaults.ListFields():
        name = field.name
        if field.is_repeated:
            if not len(getattr(target, name)):
                getattr(target, name).MergeFrom(value)
        elif field.has_presence:
            if not target.HasField(name):
                if field.message_type is not None:
                    getattr(target, name).CopyFrom(value)
                else:
                    setattr(target, name, value)
        elif not getattr(target, name):
            setattr(target, name, value)
