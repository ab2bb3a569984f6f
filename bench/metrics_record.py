"""Per-call CPU of the middleware's metrics recording (old: HEAD's telemetry package)."""
import sys, time, timeit
import modelgate.telemetry as pkg
if sys.argv[1] == "old":
    pkg.__path__.insert(0, "/tmp/oldmg/server/modelgate/telemetry")
import grpc
from modelgate.telemetry.metrics import Metrics
from modelgate.telemetry import middleware as mw_mod
from modelgate.v1 import chat_pb2
print(mw_mod.__file__)
m = Metrics()
mw = mw_mod.RpcMiddleware(tracer=None, metrics=m, known_model=lambda s: True)
done = chat_pb2.ChatResponse(model="gpt-4o", provider="openai")
done.usage.input_tokens = 10; done.usage.output_tokens = 20; done.cost.total_usd = 0.01
call = mw_mod._Call("Chat", "gpt-4o", time.perf_counter())
n = 100000
best = min(timeit.repeat(lambda: mw._record(call, grpc.StatusCode.OK, done), number=n, repeat=7))
print(f"{sys.argv[1]}: unary OK Chat _record {best / n * 1e6:.2f} us (best of 7 x {n})")
