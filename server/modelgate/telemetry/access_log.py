"""The access log: one JSON line per generating call, whatever its outcome.

Written by the RPC middleware (`middleware.py`), the one place that sees every call of
every generating RPC end (`records.GENERATING_RPCS`, the list budgets use too: the GenAI
operations and the media RPCs): answered, failed (auth refusals and NOT_FOUND included) or
cancelled. A line names the caller by key id (never the key), what was asked and
what served it, tokens, cost, latency and time to first token (streams), and the
status with our ErrorInfo reason. No prompt or answer text unless `include_content`,
and then redacted and cut as captured spans are (`genai_content`), for the GenAI
operations only: a media call's input and output are images and audio, never logged.

Sampling (`sample_ratio`) thins successful calls only: failures are the lines an
operator looks for, and are rare. The line is built on the call's path from fields
the answer already carries (a few microseconds); formatting and writing happen in
the sink's writer thread (`access_sink.py`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
)

from modelgate.config import AccessLogConfig
from modelgate.errors.gateway_error import bounded
from modelgate.records import GENERATING_RPCS
from modelgate.redactor import redact
from modelgate.telemetry.access_sink import AccessSink
from modelgate.telemetry.genai_content import input_content, output_messages
from modelgate.telemetry.genai_metrics import OPERATIONS
from modelgate.v1.content_pb2 import ContentPart

MAX_MODEL_CHARS = 256
"""A requested name the catalog does not know is the caller's text: kept this long."""


def _content(request: Any, parts: Iterable[ContentPart] | None, done: Any, chars: int) -> Any:
    """The redacted, cut prompt (and system instructions) and answer, as JSON values."""
    found = input_content(request, chars)
    content: dict[str, Any] = {}
    if GEN_AI_SYSTEM_INSTRUCTIONS in found:
        content["system"] = json.loads(found[GEN_AI_SYSTEM_INSTRUCTIONS])
    if GEN_AI_INPUT_MESSAGES in found:
        content["input"] = json.loads(found[GEN_AI_INPUT_MESSAGES])
    if parts is not None and done is not None:
        content["output"] = json.loads(output_messages(parts, done, chars))
    return content


class AccessLog:
    """Builds each call's line and hands it to the sink; `start` and `close` run the sink."""

    def __init__(self, config: AccessLogConfig, sink: AccessSink | None = None) -> None:
        self.sample_ratio = config.sample_ratio
        self.content_chars = config.content_max_chars if config.include_content else 0
        """Characters of prompt and answer kept; 0: none logged."""
        self.sink = sink or AccessSink(config)

    @staticmethod
    def logs(rpc: str) -> bool:
        """Whether `rpc` is a generating RPC, one the access log has a line for."""
        return rpc in GENERATING_RPCS

    def captures(self, rpc: str) -> bool:
        """Whether lines of `rpc` carry content (text RPCs, with `include_content` only)."""
        return bool(self.content_chars) and rpc in OPERATIONS

    def skips(self, failed: bool) -> bool:
        """Whether sampling leaves this call out (never a failed one)."""
        return not failed and self.sample_ratio < 1.0 and random.random() >= self.sample_ratio

    def record(
        self,
        *,
        rpc: str,
        requested: str,
        known: bool,
        key_id: str,
        trace_id: str,
        started: float,
        first_at: float,
        status: str,
        reason: str,
        failure: Mapping[str, str],
        done: Any,
        request: Any = None,
        parts: Iterable[ContentPart] | None = None,
    ) -> None:
        """Queue the line of a call that ended now (`started`, `first_at`: perf_counter)."""
        ended = time.perf_counter()
        line: dict[str, Any] = {
            "time": time.time(),
            "trace_id": trace_id,
            "key_id": key_id,
            "rpc": rpc,
            "requested_model": requested if known else redact(bounded(requested, MAX_MODEL_CHARS)),
            "status": status,
            "reason": reason,
            "latency_ms": round((ended - started) * 1000, 3),
            "ttft_ms": round((first_at - started) * 1000, 3) if first_at else None,
        }
        if done is not None:
            usage, metadata = done.usage, getattr(done, "metadata", {})
            line.update(
                runtime=done.runtime,
                model=done.model,
                provider=done.provider,
                attempts=int(metadata.get("attempts", 1)),
                cache_hit=metadata.get("cache") == "hit",
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                cost_usd=done.cost.total_usd,
            )
        else:
            attempts = failure.get("attempts", "")
            line.update(
                runtime="",
                model="",
                provider="",
                attempts=int(attempts) if attempts.isdigit() else 0,
                cache_hit=False,
                input_tokens=0,
                output_tokens=0,
                cached_input_tokens=0,
                reasoning_tokens=0,
                cost_usd=0.0,
            )
        if self.content_chars and request is not None:
            line["content"] = _content(request, parts, done, self.content_chars)
        self.sink.put(line)

    def start(self) -> None:
        """Start the sink's writer."""
        self.sink.start()

    def close(self) -> None:
        """Flush and stop the sink (blocks)."""
        self.sink.close()
