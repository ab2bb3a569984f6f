"""The Ollama backend (kind "ollama"): native /api endpoints over NDJSON.

The native API, not Ollama's OpenAI-compatible one, because only it exposes
model management (pull, delete, ps, show), exact usage on the final stream
line, `keep_alive` and the full `options` set.
"""
