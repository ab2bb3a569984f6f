/**
 * Typed TypeScript client of `modelgate.v1.ModelGateway`.
 *
 * A thin layer over the protobuf-es v2 generated code (./gen) and Connect's
 * gRPC transport (HTTP/2, the same wire protocol as the Python client),
 * mirroring the Python `ModelGateClient`: per-call deadlines (`timeoutMs`) and
 * metadata (`headers`), and every failure raised as a `ModelGateError` carrying
 * the status code and the decoded `google.rpc` details.
 *
 *     const client = new ModelGateClient("127.0.0.1:50051", { apiKey: "..." });
 *     const res = await client.chat("echo", "Hello!");
 *     console.log(responseText(res));
 *     for await (const piece of client.streamText("echo", "Hello again")) process.stdout.write(piece);
 *     for await (const event of client.generateImage("echo", "a red fox")) console.log(event.event.case);
 *     client.close();
 *
 * Anything not wrapped here is available, fully typed, on `client.raw`.
 */

import { create, createRegistry, type Message as ProtoMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type CallOptions, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

import {
  BadRequestSchema,
  DebugInfoSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
import {
  ChatRequestSchema,
  StreamChatRequestSchema,
  type ChatResponse,
  type StreamChatResponse,
} from "./gen/modelgate/v1/chat_pb.js";
import { SpeakRequestSchema, type SpeakResponse } from "./gen/modelgate/v1/audio_pb.js";
import { Role, type ContentPart, type Message, MessageSchema } from "./gen/modelgate/v1/content_pb.js";
import { EmbedRequestSchema, type EmbedResponse } from "./gen/modelgate/v1/embedding_pb.js";
import { ModelGateway } from "./gen/modelgate/v1/gateway_pb.js";
import { GenerationConfigSchema, ReasoningConfigSchema } from "./gen/modelgate/v1/generation_pb.js";
import { GenerateImageRequestSchema, type GenerateImageResponse } from "./gen/modelgate/v1/image_pb.js";
import {
  Capability,
  ListModelsRequestSchema,
  type ListModelsResponse,
  type Model,
} from "./gen/modelgate/v1/model_pb.js";
import type { StreamEnd } from "./gen/modelgate/v1/stream_pb.js";
import { CountTokensRequestSchema, type CountTokensResponse } from "./gen/modelgate/v1/tokens_pb.js";

export * from "./gen/modelgate/v1/audio_pb.js";
export * from "./gen/modelgate/v1/chat_pb.js";
export * from "./gen/modelgate/v1/completion_pb.js";
export * from "./gen/modelgate/v1/content_pb.js";
export * from "./gen/modelgate/v1/embedding_pb.js";
export * from "./gen/modelgate/v1/errors_pb.js";
export * from "./gen/modelgate/v1/gateway_pb.js";
export * from "./gen/modelgate/v1/generation_pb.js";
export * from "./gen/modelgate/v1/image_pb.js";
export * from "./gen/modelgate/v1/model_pb.js";
export * from "./gen/modelgate/v1/stream_pb.js";
export * from "./gen/modelgate/v1/tokens_pb.js";
export { Code } from "@connectrpc/connect";

// -- errors ---------------------------------------------------------------

/** gRPC metadata (headers) sent with a call; keys are case-insensitive. */
export type Metadata = Record<string, string>;

/** Every standard google.rpc error detail, for decoding `grpc-status-details-bin`. */
const DETAIL_REGISTRY = createRegistry(
  ErrorInfoSchema,
  BadRequestSchema,
  RetryInfoSchema,
  QuotaFailureSchema,
  PreconditionFailureSchema,
  ResourceInfoSchema,
  RequestInfoSchema,
  DebugInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
);

const CODE_NAMES: Record<number, string> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

/** A (field path, description) pair of `google.rpc.BadRequest`. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** A (subject, description) pair of `google.rpc.QuotaFailure`. */
export interface QuotaViolation {
  subject: string;
  description: string;
}

/**
 * A failed gateway call, with the structured details the server attached.
 *
 * Branch on `code` (the gRPC status code; `codeName` is its canonical name,
 * e.g. "NOT_FOUND") and on `reason` (`modelgate.v1.ErrorReason` without its
 * prefix, e.g. "MODEL_NOT_FOUND"), never on the message text.
 */
export class ModelGateError extends Error {
  override readonly name = "ModelGateError";
  /** gRPC status code (Connect's `Code` enum has the gRPC numbering). */
  readonly code: Code;
  /** Canonical gRPC code name, e.g. "NOT_FOUND". */
  readonly codeName: string;
  /** `ErrorInfo.reason`, e.g. "RATE_LIMITED"; undefined without ErrorInfo (e.g. a local deadline). */
  readonly reason: string | undefined;
  /** `ErrorInfo.domain`: "modelgate" for the gateway's own errors, the provider name for upstream ones. */
  readonly domain: string | undefined;
  /** `ErrorInfo.metadata`, e.g. {model: "gpt-4o"}. */
  readonly metadata: Record<string, string>;
  /** Seconds to wait before retrying, from `RetryInfo`; undefined when the server gave no hint. */
  readonly retryAfter: number | undefined;
  /** `BadRequest` field violations. */
  readonly fieldViolations: FieldViolation[];
  /** `QuotaFailure` violations. */
  readonly quotaViolations: QuotaViolation[];
  /** Every decoded standard google.rpc detail message. */
  readonly details: ProtoMessage[];
  /** The call's response headers and trailers. */
  readonly responseMetadata: Headers;
  /** The status message, without Connect's "[code]" prefix. */
  readonly rawMessage: string;

  constructor(cause: ConnectError) {
    const codeName = CODE_NAMES[cause.code] ?? `CODE_${cause.code}`;
    const info = cause.findDetails(ErrorInfoSchema)[0];
    super(info?.reason ? `${codeName}: ${cause.rawMessage} [${info.reason}]` : `${codeName}: ${cause.rawMessage}`, {
      cause,
    });
    this.code = cause.code;
    this.codeName = codeName;
    this.rawMessage = cause.rawMessage;
    this.reason = info?.reason || undefined;
    this.domain = info?.domain || undefined;
    this.metadata = { ...(info?.metadata ?? {}) };
    const retry = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryAfter = retry ? Math.max(0, Number(retry.seconds) + retry.nanos / 1e9) : undefined;
    this.fieldViolations = cause
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    this.quotaViolations = cause
      .findDetails(QuotaFailureSchema)
      .flatMap((d) => d.violations.map((v) => ({ subject: v.subject, description: v.description })));
    this.details = cause.findDetails(DETAIL_REGISTRY);
    this.responseMetadata = cause.metadata;
  }
}

/** Converts anything a Connect call throws into a ModelGateError (aborts by the caller included). */
export function toModelGateError(err: unknown): ModelGateError {
  return err instanceof ModelGateError ? err : new ModelGateError(ConnectError.from(err));
}

// -- messages -------------------------------------------------------------

export type RoleName = "system" | "user" | "assistant" | "tool";

/**
 * A conversation turn: a plain string (a user turn), a `{role, content}` object,
 * or a `modelgate.v1.Message` (init shape or message).
 */
export type MessageLike = string | { role: RoleName; content: string } | MessageInitShape<typeof MessageSchema>;

const ROLES: Record<RoleName, Role> = {
  system: Role.SYSTEM,
  user: Role.USER,
  assistant: Role.ASSISTANT,
  tool: Role.TOOL,
};

function toMessage(m: MessageLike): Message {
  if (typeof m === "string") {
    return create(MessageSchema, { role: Role.USER, parts: [{ data: { case: "text", value: m } }] });
  }
  if ("content" in m && typeof m.content === "string") {
    const role = ROLES[m.role as RoleName];
    if (role === undefined) throw new TypeError(`unknown role ${String(m.role)}`);
    return create(MessageSchema, { role, parts: [{ data: { case: "text", value: m.content } }] });
  }
  return create(MessageSchema, m as MessageInitShape<typeof MessageSchema>);
}

function toMessages(messages: string | readonly MessageLike[], system?: string): Message[] {
  const list = typeof messages === "string" ? [messages] : messages;
  const out = list.map(toMessage);
  if (system) out.unshift(toMessage({ role: "system", content: system }));
  return out;
}

/** The concatenated text parts of a chat answer (never its reasoning). */
export function responseText(response: { content: ContentPart[] }): string {
  return response.content.map((p) => (p.data.case === "text" ? p.data.value : "")).join("");
}

/** The concatenated text of a chat answer's reasoning parts (send the parts back unchanged, not this). */
export function responseReasoning(response: { content: ContentPart[] }): string {
  return response.content.map((p) => (p.data.case === "reasoning" ? p.data.value.text : "")).join("");
}

// -- options --------------------------------------------------------------

/** Per-call options. */
export interface CallOpts {
  /** Deadline of this call in milliseconds (sent as `grpc-timeout`; the gateway honours it). */
  timeoutMs?: number;
  /** gRPC metadata for this call; keys given here replace the client-wide ones. */
  headers?: Metadata;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Chat and StreamChat options: shorthands for the common request fields. */
export interface ChatOpts extends CallOpts {
  /** Prepended as a system message. */
  system?: string;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stop?: string | string[];
  seed?: bigint | number;
  /** Sampling and length parameters; the shorthands above override its fields. */
  generation?: MessageInitShape<typeof GenerationConfigSchema>;
  previousResponseId?: string;
  /** Reasoning options (`{ effort: ReasoningEffort.HIGH }`, `budgetTokens`, `includeThoughts`). */
  reasoning?: MessageInitShape<typeof ReasoningConfigSchema>;
  /** The request's `metadata` map (caller tags recorded by the gateway; not gRPC metadata). */
  tags?: Record<string, string>;
  user?: string;
  /**
   * Any other ChatRequest fields (tools, tool_choice, response_format, cache_control...).
   * JSON goes in the text fields, sent as written (key order, integers):
   * `parametersJson`, `schemaJson`, `extraJson`, `argumentsJson`, e.g. `JSON.stringify(schema)`.
   */
  request?: Omit<MessageInitShape<typeof ChatRequestSchema>, "$typeName">;
}

export interface ModelGateClientOptions {
  /** Sent on every call as `authorization: Bearer <key>`. Use TLS (an https baseUrl) beyond loopback. */
  apiKey?: string;
  /** Metadata sent on every call. */
  headers?: Metadata;
  /** Default per-call deadline in milliseconds (none by default). */
  timeoutMs?: number;
  /** A transport you built (interceptors, TLS options...); the target is then ignored. */
  transport?: Transport;
}

// -- streams --------------------------------------------------------------

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

// -- client ---------------------------------------------------------------

/** Async client of `modelgate.v1.ModelGateway` over the gRPC protocol (HTTP/2). */
export class ModelGateClient {
  /** The generated Connect client: every RPC with its generated request/response types. */
  readonly raw: Client<typeof ModelGateway>;
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
    this.raw = createClient(ModelGateway, transport);
    this.headers = lower(options.headers);
    if (options.apiKey) this.headers["authorization"] = `Bearer ${options.apiKey}`;
    this.timeoutMs = options.timeoutMs;
  }

  /** Closes the HTTP/2 connection this client opened (not a transport you passed in). */
  close(): void {
    this.session?.abort();
  }

  private callOptions(opts: CallOpts | undefined): CallOptions {
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    return {
      headers: { ...this.headers, ...lower(opts?.headers) },
      // grpc-timeout takes integers: a fractional value would be sent as an invalid header.
      timeoutMs: timeoutMs === undefined ? undefined : Math.max(1, Math.ceil(timeoutMs)),
      signal: opts?.signal,
    };
  }

  private async unary<R>(call: (o: CallOptions) => Promise<R>, opts: CallOpts | undefined): Promise<R> {
    try {
      return await call(this.callOptions(opts));
    } catch (err) {
      throw toModelGateError(err);
    }
  }

  private chatInit(model: string, messages: string | readonly MessageLike[], opts: ChatOpts = {}) {
    const generation = create(GenerationConfigSchema, opts.generation ?? opts.request?.generation ?? {});
    if (opts.temperature !== undefined) generation.temperature = opts.temperature;
    if (opts.topP !== undefined) generation.topP = opts.topP;
    if (opts.topK !== undefined) generation.topK = opts.topK;
    if (opts.maxOutputTokens !== undefined) generation.maxOutputTokens = opts.maxOutputTokens;
    if (opts.stop !== undefined) generation.stopSequences = typeof opts.stop === "string" ? [opts.stop] : opts.stop;
    if (opts.seed !== undefined) generation.seed = BigInt(opts.seed);
    return {
      ...opts.request,
      model,
      messages: [...toMessages(messages, opts.system), ...(opts.request?.messages ?? []).map((m) => create(MessageSchema, m))],
      generation,
      previousResponseId: opts.previousResponseId ?? opts.request?.previousResponseId ?? "",
      reasoning: opts.reasoning ?? opts.request?.reasoning,
      metadata: { ...(opts.request?.metadata ?? {}), ...(opts.tags ?? {}) },
      user: opts.user ?? opts.request?.user ?? "",
    };
  }

  /** Generates the next assistant message. `messages`: a user string or a list of turns. */
  chat(model: string, messages: string | readonly MessageLike[], opts?: ChatOpts): Promise<ChatResponse> {
    const request = create(ChatRequestSchema, this.chatInit(model, messages, opts));
    return this.unary((o) => this.raw.chat(request, o), opts);
  }

  /** Chat with a request you built yourself (full control over every field). */
  chatRequest(request: MessageInitShape<typeof ChatRequestSchema>, opts?: CallOpts): Promise<ChatResponse> {
    return this.unary((o) => this.raw.chat(request, o), opts);
  }

  /** Streams the next assistant message as attempt, reasoning_delta/text_delta/tool_call_delta and end events. */
  streamChat(model: string, messages: string | readonly MessageLike[], opts?: ChatOpts): ResponseStream<StreamChatResponse> {
    const request = create(StreamChatRequestSchema, this.chatInit(model, messages, opts));
    return this.streamChatRequest(request, opts);
  }

  /** StreamChat with a request you built yourself. */
  streamChatRequest(
    request: MessageInitShape<typeof StreamChatRequestSchema>,
    opts?: CallOpts,
  ): ResponseStream<StreamChatResponse> {
    const base = this.callOptions(opts);
    return new ResponseStream((signal) => this.raw.streamChat(request, { ...base, signal }), opts?.signal);
  }

  /** Like streamChat, yielding only the answer's text; `.end` holds the StreamEnd after the loop. */
  streamText(model: string, messages: string | readonly MessageLike[], opts?: ChatOpts): TextStream {
    return new TextStream(this.streamChat(model, messages, opts));
  }

  /** Embeds one text or a batch (1 to 2048); embeddings come back in input order. */
  embed(
    model: string,
    inputs: string | readonly string[],
    opts?: CallOpts & { dimensions?: number; tags?: Record<string, string>; user?: string },
  ): Promise<EmbedResponse> {
    const request = create(EmbedRequestSchema, {
      model,
      inputs: typeof inputs === "string" ? [inputs] : [...inputs],
      dimensions: opts?.dimensions,
      metadata: opts?.tags ?? {},
      user: opts?.user ?? "",
    });
    return this.unary((o) => this.raw.embed(request, o), opts);
  }

  /**
   * Generates images: per image an `image` event (index, mime type, `sizeBytes`), then its
   * `chunk`s in order; last an `end` event (image count, usage, cost). `request` sets the
   * other fields (count, size, quality, outputFormat...).
   */
  generateImage(
    model: string,
    prompt: string,
    opts?: CallOpts & { request?: Omit<MessageInitShape<typeof GenerateImageRequestSchema>, "$typeName"> },
  ): ResponseStream<GenerateImageResponse> {
    const request = create(GenerateImageRequestSchema, { ...opts?.request, model, prompt });
    const base = this.callOptions(opts);
    return new ResponseStream((signal) => this.raw.generateImage(request, { ...base, signal }), opts?.signal);
  }

  /**
   * Speaks `text`: a `started` event (format, mime type), the audio as `chunk`s as the upstream
   * produces it, then `end` (`audioSizeBytes`, usage, cost). `request` sets voice, format, speed...
   */
  speak(
    model: string,
    text: string,
    opts?: CallOpts & { request?: Omit<MessageInitShape<typeof SpeakRequestSchema>, "$typeName"> },
  ): ResponseStream<SpeakResponse> {
    const request = create(SpeakRequestSchema, { ...opts?.request, model, text });
    const base = this.callOptions(opts);
    return new ResponseStream((signal) => this.raw.speak(request, { ...base, signal }), opts?.signal);
  }

  /** Counts the input tokens of plain `text`, or of `messages` as a prompt. */
  countTokens(
    model: string,
    input: { text?: string; messages?: readonly MessageLike[]; system?: string },
    opts?: CallOpts,
  ): Promise<CountTokensResponse> {
    const request = create(CountTokensRequestSchema, {
      model,
      text: input.text ?? "",
      messages: input.messages || input.system ? toMessages(input.messages ?? [], input.system) : [],
    });
    return this.unary((o) => this.raw.countTokens(request, o), opts);
  }

  /** One page of models; pass `nextPageToken` back as `pageToken`. */
  listModelsPage(filter: ListModelsFilter & { pageToken?: string } = {}, opts?: CallOpts): Promise<ListModelsResponse> {
    const request = create(ListModelsRequestSchema, {
      provider: filter.provider ?? "",
      runtime: filter.runtime ?? "",
      capability: filter.capability ?? Capability.UNSPECIFIED,
      availableOnly: filter.availableOnly ?? false,
      pageSize: filter.pageSize ?? 0,
      pageToken: filter.pageToken ?? "",
    });
    return this.unary((o) => this.raw.listModels(request, o), opts);
  }

  /** Every model matching the filters, fetching pages as needed (`timeoutMs` applies per page). */
  async *listModels(filter: ListModelsFilter = {}, opts?: CallOpts): AsyncGenerator<Model> {
    let token = "";
    for (;;) {
      const page = await this.listModelsPage({ ...filter, pageToken: token }, opts);
      yield* page.models;
      if (!page.nextPageToken || page.nextPageToken === token) return;
      token = page.nextPageToken;
    }
  }

  /** One model's full record (id, short name or alias). */
  async getModel(id: string, opts?: CallOpts): Promise<Model> {
    const response = await this.unary((o) => this.raw.getModel({ id }, o), opts);
    if (!response.model) throw new Error("GetModel returned no model");
    return response.model;
  }
}

export interface ListModelsFilter {
  provider?: string;
  runtime?: string;
  capability?: Capability;
  availableOnly?: boolean;
  pageSize?: number;
}

function lower(headers: Metadata | undefined): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}
