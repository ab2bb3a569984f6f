/**
 * The plumbing under every call: the HTTP/2 connection (Connect's gRPC
 * transport) to the target, and the call options each call is sent with
 * (credentials and metadata, deadline, cancellation).
 */

import type { CallOptions, Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

import type { CallOpts, Metadata, ModelGateClientOptions } from "./options.js";

/** One client's transport, and the client-wide metadata and deadline merged into each call. */
export class Connection {
  readonly transport: Transport;
  private readonly headers: Metadata;
  private readonly timeoutMs: number | undefined;
  private readonly session: Http2SessionManager | undefined;

  /**
   * @param target "host:port" (plaintext, h2c) or a base URL such as "https://gw.example:443".
   */
  constructor(target: string, options: ModelGateClientOptions = {}) {
    let transport = options.transport;
    if (!transport) {
      const baseUrl = /^https?:\/\//.test(target) ? target : `http://${target}`;
      this.session = new Http2SessionManager(baseUrl);
      transport = createGrpcTransport({ baseUrl, sessionManager: this.session });
    }
    this.transport = transport;
    this.headers = lower(options.headers);
    if (options.apiKey) this.headers["authorization"] = `Bearer ${options.apiKey}`;
    this.timeoutMs = options.timeoutMs;
  }

  /** Closes the HTTP/2 connection this client opened (not a transport you passed in). */
  close(): void {
    this.session?.abort();
  }

  /** Connect's options for one call: client-wide metadata under the call's own, its deadline, its signal. */
  callOptions(opts: CallOpts | undefined): CallOptions {
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    return {
      headers: { ...this.headers, ...lower(opts?.headers) },
      // grpc-timeout takes integers: a fractional value would be sent as an invalid header.
      timeoutMs: timeoutMs === undefined ? undefined : Math.max(1, Math.ceil(timeoutMs)),
      signal: opts?.signal,
    };
  }
}

function lower(headers: Metadata | undefined): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}
