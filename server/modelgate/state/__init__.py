"""Shared state: conversations, the response cache, rate limits, usage and caller keys.

One interface per concern (`conversations`, `cache`, `counters`, `usage`, `keys`), three
implementations behind it: in-process memory (the default), a SQLite file (one
durable node, also shared by `--workers N` on that node) and Redis (the fleet).
`build_state(url)` picks one from a URL; `Bounds` limits every SQLite and Redis
call in time and sets the breaker that skips a failing backend (see `guard`).
"""

from modelgate.state.cache import ResponseCache, cache_key
from modelgate.state.conversations import ConversationStore
from modelgate.state.counters import RateLimiter
from modelgate.state.errors import StateUnavailableError
from modelgate.state.factory import State, build_state
from modelgate.state.guard import Bounds
from modelgate.state.keys import KeyStore
from modelgate.state.usage import UsageTotals

__all__ = [
    "Bounds",
    "ConversationStore",
    "KeyStore",
    "RateLimiter",
    "ResponseCache",
    "State",
    "StateUnavailableError",
    "UsageTotals",
    "build_state",
    "cache_key",
]
