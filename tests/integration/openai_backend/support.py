"""What the OpenAI backend tests share."""

from __future__ import annotations

API_KEY = "sk-test-openai-0123456789abcdef"
