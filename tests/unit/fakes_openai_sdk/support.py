"""What the openai SDK fidelity tests share."""

from __future__ import annotations

from openai.types.chat import ChatCompletionMessageParam

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "tell me a story"}]
