"""The real-upstream tier: the gateway against llama.cpp's llama-server and LiteLLM proxy.

Opt-in: scripts/real-upstreams builds and starts the servers and runs these tests with
MODELGATE_REAL_UPSTREAMS naming them; without it every test here is skipped, so the README's
test command stays fast.
"""
