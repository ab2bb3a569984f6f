"""The stream duration cap: a stream past `limits.stream_max_seconds` ends RESOURCE_EXHAUSTED.

Why not `asyncio.timeout` around the servicer's `async for ... yield`: a timeout that spans a
`yield` cancels whatever the task awaits when it fires, and while deltas flow that is grpc.aio's
write of the yielded message, outside our generator. The cancellation then never reaches our
handler, no status is sent, and the call hangs until the caller's deadline. So the cap cancels
the task only while it waits for the next upstream event (inside our frame), and otherwise is
checked as soon as the caller has taken the event in hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

from modelgate.errors import stream_too_long

Event = TypeVar("Event")


class _Cap:
    """One timer per stream; it cancels the task only while the task waits for an event."""

    def __init__(self, seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None, "a stream is always served by a task"
        self.task = task
        self.fired = False
        self.waiting = False
        self.timer = asyncio.get_running_loop().call_later(seconds, self._fire)

    def _fire(self) -> None:
        self.fired = True
        if self.waiting:
            self.task.cancel()


async def capped_stream(
    events: AsyncGenerator[Event, None], seconds: float
) -> AsyncIterator[Event]:
    """Pass `events` through until they end or `seconds` pass, then raise the limit error."""
    cap = _Cap(seconds)
    try:
        while True:
            if cap.fired:
                raise stream_too_long(seconds)
            cap.waiting = True
            try:
                event = await anext(events)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                # Ours only if the cap fired and nobody else asked to cancel the task too.
                if cap.fired and cap.task.uncancel() == 0:
                    raise stream_too_long(seconds) from None
                raise
            finally:
                cap.waiting = False
            yield event
    finally:
        cap.timer.cancel()
        await events.aclose()
