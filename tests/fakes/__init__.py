"""Fake LLM provider upstreams (OpenAI/LM Studio, Anthropic, Gemini, Ollama) for gateway tests.

Each fake is a real HTTP server on a loopback port speaking the provider's exact
wire format, so the gateway's adapters run unchanged against it; tests script
replies, timing and faults and assert on what the gateway sent upstream.
"""

from .anthropic_fake import FakeAnthropic, anthropic_error
from .base import FakeServer, Frame
from .gemini_fake import FakeGemini, GeminiReply
from .ollama_fake import FakeOllama
from .openai_fake import FakeOpenAI, openai_error
from .scenario import (
    Behaviour,
    FakeModel,
    Fault,
    RecordedRequest,
    Reply,
    Scenario,
    Thought,
    Timing,
    ToolCall,
)
from .text import embed, split_words

__all__ = [
    "Behaviour",
    "FakeAnthropic",
    "FakeGemini",
    "FakeModel",
    "FakeOllama",
    "FakeOpenAI",
    "FakeServer",
    "Fault",
    "Frame",
    "GeminiReply",
    "RecordedRequest",
    "Reply",
    "Scenario",
    "Thought",
    "Timing",
    "ToolCall",
    "anthropic_error",
    "embed",
    "openai_error",
    "split_words",
]
