"""The span of the running call: made current, read back and released on a traced call.

The OpenTelemetry API does this in four to five Python calls per step (`get_current_span`
-> `get_value` -> `get_current` -> the runtime context, and an `isinstance` against the
`Span` ABC, which is one more; `attach(set_span_in_context(...))` and `detach` alike),
three steps per traced call. With the API's default runtime context (`contextvars`),
the current context is one `ContextVar`: these functions use it directly, the same
variable and the same `Context` values, so the API, the W3C propagator and the log
correlation see exactly what they would have seen. Any other runtime context
(`OTEL_PYTHON_CONTEXT`) goes through the API. `tests/unit/test_current_span.py` checks
both ways against the API.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.trace import INVALID_SPAN
from opentelemetry.trace.propagation import _SPAN_KEY

from modelgate.telemetry.recording_span import RecordingSpan

log = logging.getLogger(__name__)


def _context_variable() -> ContextVar[Context] | None:
    """The API's own variable when its runtime context is the default one."""
    runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
    if type(runtime) is ContextVarsRuntimeContext:
        return runtime._current_context
    return None


_CURRENT = _context_variable()


def current_span() -> trace.Span:
    """`trace.get_current_span()`: one of ours straight from the context, anything else
    (none, a caller's remote span, a foreign span) by the API's rules."""
    if _CURRENT is not None:
        span = _CURRENT.get().get(_SPAN_KEY)
        if type(span) is RecordingSpan:
            return span
        if span is None:  # no span at all (an unsampled call): the API's answer too
            return INVALID_SPAN
    return trace.get_current_span()


def enter(span: trace.Span, parent: Context | None) -> Token[Context]:
    """`attach(set_span_in_context(span, parent or a new context))`: `span` current."""
    if _CURRENT is None:
        return otel_context.attach(trace.set_span_in_context(span, parent or Context()))
    values = {**parent, _SPAN_KEY: span} if parent else {_SPAN_KEY: span}
    return _CURRENT.set(Context(values))


def leave(token: Token[Context]) -> None:
    """`detach(token)`: what was current before `enter` is again (a failure is logged,
    as the API does, never raised into the call)."""
    if _CURRENT is None:
        otel_context.detach(token)
        return
    try:
        _CURRENT.reset(token)
    except Exception:
        log.exception("Failed to detach context")
