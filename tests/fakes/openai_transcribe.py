"""OpenAI speech-to-text (`POST /v1/audio/transcriptions`) for FakeOpenAI.

The upload is read with aiohttp's own multipart parser as it arrives (the recording
middleware leaves this path's body unread), one bounded read at a time, and recorded
as a `MediaUpload`: the fields, the file part's name, type, size and read count, its
first bytes, whether the body came chunked; never the audio itself, so a 25 MB upload
costs the fake no more than one read.

Answers follow the openai SDK's `types/audio/`: `json` gives `text` and `usage`
(`tokens` for gpt-4o-*transcribe, `duration` for whisper-1); `verbose_json` (whisper-1
only, like the real API) adds `task`, `language`, `duration`, `segments` and, with
`timestamp_granularities[]=word`, `words`; `stream=true` (ignored by whisper-1, as the
API documents) answers SSE data events `transcript.text.delta` then
`transcript.text.done` with the usage. The transcript states the upload's size, and the
duration of a WAV upload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, StreamReader, web

from .base import Frame, sse
from .media_bytes import wav_seconds
from .scenario import Fault, Reply
from .text import split_words

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI

READ_BYTES = 64 * 1024
HEAD_BYTES = 64
PATH = "/v1/audio/transcriptions"


@dataclass
class MediaUpload:
    """What one transcription request sent, without its audio."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    filename: str = ""
    content_type: str = ""
    size: int = 0
    reads: int = 0
    """Reads of the file part that returned bytes (many: the upload came in pieces)."""
    head: bytes = b""
    chunked: bool = False
    """The body came with `Transfer-Encoding: chunked` (its length unknown in advance)."""
    complete: bool = False
    """The multipart body was read to its closing boundary."""
    body: StreamReader | None = field(default=None, repr=False)

    @property
    def received(self) -> int:
        """Body bytes that reached the fake so far (the multipart parser reads one piece
        ahead of what it hands out, so `size` lags behind this)."""
        return self.body.total_bytes if self.body is not None else 0

    def field(self, name: str) -> str | None:
        """The single value of a form field, or None."""
        values = self.fields.get(name)
        return values[-1] if values else None


async def read_upload(request: web.Request, upload: MediaUpload) -> None:
    """Parse the multipart body into `upload`, keeping only the audio's first bytes."""
    upload.chunked = request.headers.get("Transfer-Encoding", "").lower() == "chunked"
    upload.body = request.content
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.name != "file":
            upload.fields.setdefault(part.name, []).append(await part.text())
            continue
        upload.filename = part.filename or ""
        upload.content_type = part.headers.get("Content-Type", "")
        while piece := await part.read_chunk(READ_BYTES):
            if len(upload.head) < HEAD_BYTES:
                upload.head += piece[: HEAD_BYTES - len(upload.head)]
            upload.size += len(piece)
            upload.reads += 1
    upload.complete = True


def transcript_text(upload: MediaUpload) -> str:
    """What the fake "hears": the file's name, size and, for WAV, its duration."""
    seconds = wav_seconds(upload.head, upload.size)
    lasting = f", {seconds:.2f} seconds" if seconds is not None else ""
    return f"Transcript of {upload.filename}: {upload.size} bytes{lasting}."


async def handle_transcriptions(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """POST /v1/audio/transcriptions (multipart/form-data)."""
    upload = MediaUpload()
    fake.uploads.append(upload)
    if request.content_type != "multipart/form-data":
        return fake.error_response(
            request, fake.bad_request("Expected a multipart/form-data request body.")
        )
    await read_upload(request, upload)
    request_id = fake.state(request).request_id
    recorded = next(r for r in reversed(fake.requests) if r.request_id == request_id)
    recorded.body = {name: values[-1] for name, values in upload.fields.items()}
    for name in ("file", "model"):
        if (name == "file" and not upload.filename) or (name != "file" and not upload.field(name)):
            missing = fake.bad_request(
                f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
            )
            return fake.error_response(request, missing)
    model = upload.field("model") or ""
    whisper = model.startswith("whisper")
    response_format = upload.field("response_format") or "json"
    if not whisper and response_format != "json":
        incompatible = fake.bad_request(
            f"response_format '{response_format}' is not compatible with model '{model}'. "
            "Use 'json' or 'text' instead.",
            "response_format",
            "unsupported_value",
        )
        return fake.error_response(request, incompatible)
    behaviour = fake.next_behaviour(request)
    fault = behaviour if isinstance(behaviour, Fault) else None
    reply = behaviour if isinstance(behaviour, Reply) else Reply()
    text = reply.text if reply.text is not None else transcript_text(upload)
    seconds = wav_seconds(upload.head, upload.size) or upload.size / 32_000
    timing = reply.timing(fake.timing)
    if upload.field("stream") == "true" and not whisper:
        frames = _stream_frames(text, _token_usage(text, seconds))
        return await fake.stream(
            request, frames, timing=timing, fault=fault, content_type="text/event-stream"
        )
    out: dict[str, Any] = {"text": text}
    if response_format == "verbose_json":
        out = _verbose(text, seconds, upload.fields.get("timestamp_granularities[]", []))
    duration = {"type": "duration", "seconds": math.ceil(seconds)}
    out["usage"] = duration if whisper else _token_usage(text, seconds)
    return await fake.unary(request, out, timing=timing, tokens=1, fault=fault)


def _token_usage(text: str, seconds: float) -> dict[str, Any]:
    audio_tokens = max(math.ceil(seconds * 10), 1)
    words = len(text.split())
    return {
        "type": "tokens",
        "input_tokens": audio_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
        "output_tokens": words,
        "total_tokens": audio_tokens + words,
    }


def _verbose(text: str, seconds: float, granularities: list[str]) -> dict[str, Any]:
    """whisper-1's verbose_json: one segment for the whole audio, words spread evenly."""
    out: dict[str, Any] = {
        "task": "transcribe",
        "language": "english",
        "duration": round(seconds, 3),
        "text": text,
    }
    if "segment" in granularities or not granularities:
        out["segments"] = [
            {
                "id": 0,
                "seek": 0,
                "start": 0.0,
                "end": round(seconds, 3),
                "text": " " + text,
                "tokens": list(range(50364, 50364 + len(text.split()))),
                "temperature": 0.0,
                "avg_logprob": -0.25,
                "compression_ratio": 1.1,
                "no_speech_prob": 0.01,
            }
        ]
    if "word" in granularities:
        words = text.split()
        step = seconds / max(len(words), 1)
        out["words"] = [
            {"word": word, "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
            for i, word in enumerate(words)
        ]
    return out


def _stream_frames(text: str, usage: dict[str, Any]) -> list[Frame]:
    """Data-only SSE events: a delta per word, then `done` with the usage (the terminator)."""
    frames = [
        Frame(sse({"type": "transcript.text.delta", "delta": piece}), "token")
        for piece in split_words(text)
    ]
    done = {"type": "transcript.text.done", "text": text, "usage": usage}
    frames.append(Frame(sse(done), "end"))
    return frames
