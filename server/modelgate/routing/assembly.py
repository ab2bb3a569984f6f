"""Assembles the call path once per configuration: only the layers that are configured.

Outermost first: prompt templates (so every layer behind, the context-window fit
included, sees the rendered prompt), hooks on the request, continuity, the response
cache, usage totals, hooks on the answer, structured output, then the router
(`routing.layers` says why in that order). No `prompts:` means no template layer; no
state backend means no continuity, cache or totals layer; no hook for a side means no
hook layer on that side. A new layer (budgets, ...) is placed here, given its
dependencies as it is built.
"""

from __future__ import annotations

from modelgate.hooks.base import HookChain
from modelgate.routing.continuity import Continuity
from modelgate.routing.hook_layers import AnswerHooks, BeforeHooks
from modelgate.routing.layers import Calls
from modelgate.routing.memory import Memory
from modelgate.routing.prompt_templates import PromptTemplates
from modelgate.routing.prompts import PromptCatalog
from modelgate.routing.response_cache import ResponseCache
from modelgate.routing.router import Router
from modelgate.routing.structured import StructuredOutput
from modelgate.routing.usage import UsageTotals


def assemble(
    router: Router,
    hooks: HookChain | None,
    memory: Memory | None,
    prompts: PromptCatalog | None = None,
) -> Calls:
    """The pipeline in front of `router`, ending at the layer the servicer calls."""
    calls: Calls = StructuredOutput(router, router)
    if hooks is not None and (hooks.after_hooks or hooks.chunk_hooks):
        calls = AnswerHooks(calls, hooks)
    if memory is not None:
        calls = UsageTotals(calls, memory)
        calls = ResponseCache(calls, memory, router)
        calls = Continuity(calls, memory, router)
    if hooks is not None and hooks.before_hooks:
        calls = BeforeHooks(calls, hooks)
    if prompts:
        calls = PromptTemplates(calls, prompts)
    return calls
