/**
 * Streaming helpers: a server stream that cancels its call when the reader
 * stops early and throws `ModelGateError`s, and a text-only view of a chat stream.
 */

import { Code } from "@connectrpc/connect";

import type { StreamChatResponse } from "./gen/modelgate/v1/chat_pb.js";
import type { StreamEnd } from "./gen/modelgate/v1/stream_pb.js";
import { toModelGateError } from "./errors.js";

/**
 * The messages of one server-streaming call; the call starts when iteration
 * starts, and a stream can be iterated once. Errors, including ones that end
 * the stream after some events, are thrown as `ModelGateError`. Leaving the
 * loop early (break, return, throw) or calling `cancel()` cancels the call, so
 * the gateway stops generating tokens nobody reads.
 */
export class ResponseStream<T> implements AsyncIterable<T> {
  private readonly abort = new AbortController();
  private started = false;
  private cancelled = false;

  constructor(
    private readonly open: (signal: AbortSignal) => AsyncIterable<T>,
    signal?: AbortSignal,
  ) {
    if (signal) {
      if (signal.aborted) this.abort.abort(signal.reason);
      else signal.addEventListener("abort", () => this.abort.abort(signal.reason), { once: true });
    }
  }

  /**
   * Cancels the call. A loop reading the stream then simply ends (an aborted
   * `signal` passed in the call options throws a CANCELLED ModelGateError instead).
   */
  cancel(): void {
    this.cancelled = true;
    this.abort.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.started) throw new Error("a ResponseStream can be iterated only once");
    this.started = true;
    if (this.cancelled) return;
    let finished = false;
    try {
      for await (const item of this.open(this.abort.signal)) yield item;
      finished = true;
    } catch (err) {
      finished = true;
      const error = toModelGateError(err);
      if (this.cancelled && error.code === Code.Canceled) return;
      throw error;
    } finally {
      if (!finished) this.abort.abort();
    }
  }
}

/** Only the text deltas of a chat stream; after the loop `end` holds the StreamEnd (usage, finish reason, id). */
export class TextStream implements AsyncIterable<string> {
  end: StreamEnd | undefined;

  constructor(readonly events: ResponseStream<StreamChatResponse>) {}

  cancel(): void {
    this.events.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for await (const event of this.events) {
      if (event.event.case === "textDelta" && event.event.value.text) yield event.event.value.text;
      else if (event.event.case === "end") this.end = event.event.value;
    }
  }
}
