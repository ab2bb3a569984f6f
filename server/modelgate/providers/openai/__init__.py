"""OpenAI and every OpenAI-compatible runtime (LM Studio, vLLM, Groq, ...)."""
