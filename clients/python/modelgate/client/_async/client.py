"""The client class: every RPC of `modelgate.v1.ModelGateway`, typed."""

from __future__ import annotations

from modelgate.client._async.media import AsyncMediaMethods
from modelgate.client._async.models import AsyncModelMethods
from modelgate.client._async.parsing import AsyncParseMethods
from modelgate.client._async.prompts import AsyncPromptMethods

__all__ = ["AsyncModelGate"]


class AsyncModelGate(AsyncParseMethods, AsyncModelMethods, AsyncPromptMethods, AsyncMediaMethods):
    """Client of `modelgate.v1.ModelGateway`.

    Close it when done:

        async with AsyncModelGate("localhost:50051", api_key="...") as client:
            response = await client.chat("gpt-4o", "Hello!")

    A grpc.aio channel is bound to the event loop current when it is created:
    create the async client inside a running loop. The blocking client is
    thread-safe: share one per process.

    Args:
        target: "host:port" (or any gRPC target, e.g. "dns:///gw:443").
        credentials: TLS credentials (e.g. `grpc.ssl_channel_credentials()`);
            None connects in plaintext.
        api_key: Sent on every call as `authorization: Bearer <key>`. Use TLS
            for anything but loopback, or the key travels in clear text.
        metadata: Extra metadata sent on every call.
        timeout: Deadline in seconds for every call that does not pass its
            own; None: each method's timeout from `service_config`.
        service_config: Per-method timeouts and the retry policy (UNAVAILABLE
            only); see `modelgate.client.service_config`. None: no retries and
            no default deadlines.
        options: Extra channel options; they override the defaults by key.
    """
