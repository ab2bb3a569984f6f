"""Structured JSON logs carrying the active trace and span ids, with secrets redacted.

One JSON object per line, so log pipelines parse without regexes, and every
line inside a traced call links to its trace. Prompt text is never logged by
the gateway. Every record reaching the root handler passes `RedactingFilter`
first, so no secret the gateway holds is written, whoever logs it: our code, a
library's exception text (aiohttp quotes the first 100 bytes of an oversized
upstream line) or a plugin's traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time

from opentelemetry import trace
from typing_extensions import override

from modelgate.redactor import redact

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message"}
_PLAIN = (int, float, bool, type(None))
_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites a record with every held secret cut out of its message, exception text,
    stack and extra fields (the record is then what every handler sees)."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the formatter reports it, we must not raise
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key in _RESERVED or isinstance(value, _PLAIN):
                continue
            try:
                text = value if isinstance(value, str) else str(value)
            except Exception:  # the formatter will fail on it too, and report that
                continue
            clean = redact(text)
            if clean != text:
                setattr(record, key, clean)
        return True


class JsonFormatter(logging.Formatter):
    """Formats records as JSON with time, level, logger, message, trace ids and extras."""

    @override
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:  # set, and redacted, by RedactingFilter
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RedactingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler whose own failures say what failed, not what was being logged."""

    @override
    def handleError(self, record: logging.LogRecord) -> None:
        """Python's default prints the failing exception's whole chain to stderr, unfiltered,
        and a record logged while handling an error chains that error (and its text) in."""
        if not logging.raiseExceptions:
            return
        failure = sys.exc_info()[1]
        with contextlib.suppress(Exception):  # stderr is gone too: nothing left to tell
            sys.stderr.write(
                f"--- Logging error: {type(failure).__name__} while writing a "
                f"{record.levelname} record of {record.name}\n"
            )


def configure_logging(level: str, fmt: str) -> None:
    """Root logging: JSON lines (`json`, the default) or plain text (`text`, for a terminal);
    either way through `RedactingFilter`."""
    handler = RedactingStreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
