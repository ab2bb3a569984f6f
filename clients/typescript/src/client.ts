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
 * Anything not wrapped here is available, fully typed, on `client.raw`. This
 * module is the public entry: the class, and everything callers import. Its
 * parts live beside it: errors.ts (ModelGateError and the decoded details),
 * messages.ts (turns in, answer text out), options.ts, connection.ts (transport
 * and per-call options), requests.ts (chat requests from the shorthands) and
 * streams.ts (ResponseStream, TextStream).
 */

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type CallOptions, type Client } from "@connectrpc/connect";

import { SpeakRequestSchema, type SpeakResponse } from "./gen/modelgate/v1/audio_pb.js";
import {
  ChatRequestSchema,
  StreamChatRequestSchema,
  type ChatResponse,
  type StreamChatResponse,
} from "./gen/modelgate/v1/chat_pb.js";
import { EmbedRequestSchema, type EmbedResponse } from "./gen/modelgate/v1/embedding_pb.js";
import { ModelGateway } from "./gen/modelgate/v1/gateway_pb.js";
import { GenerateImageRequestSchema, type GenerateImageResponse } from "./gen/modelgate/v1/image_pb.js";
import {
  Capability,
  ListModelsRequestSchema,
  type ListModelsResponse,
  type Model,
} from "./gen/modelgate/v1/model_pb.js";
import { CountTokensRequestSchema, type CountTokensResponse } from "./gen/modelgate/v1/tokens_pb.js";
import { Connection } from "./connection.js";
import { toModelGateError } from "./errors.js";
import { toMessages, type MessageLike } from "./messages.js";
import type { CallOpts, ChatOpts, ListModelsFilter, ModelGateClientOptions } from "./options.js";
import { chatRequestInit } from "./requests.js";
import { ResponseStream, TextStream } from "./streams.js";

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
export { ModelGateError, toModelGateError, type FieldViolation, type QuotaViolation } from "./errors.js";
export { responseReasoning, responseText, type MessageLike, type RoleName } from "./messages.js";
export type { CallOpts, ChatOpts, ListModelsFilter, Metadata, ModelGateClientOptions } from "./options.js";
export { ResponseStream, TextStream } from "./streams.js";

/** Async client of `modelgate.v1.ModelGateway` over the gRPC protocol (HTTP/2). */
export class ModelGateClient {
  /** The generated Connect client: every RPC with its generated request/response types. */
  readonly raw: Client<typeof ModelGateway>;
  private readonly connection: Connection;

  /**
   * @param target "host:port" (plaintext, h2c) or a base URL such as "https://gw.example:443".
   */
  constructor(target: string, options: ModelGateClientOptions = {}) {
    this.connection = new Connection(target, options);
    this.raw = createClient(ModelGateway, this.connection.transport);
  }

  /** Closes the HTTP/2 connection this client opened (not a transport you passed in). */
  close(): void {
    this.connection.close();
  }

  private async unary<R>(call: (o: CallOptions) => Promise<R>, opts: CallOpts | undefined): Promise<R> {
    try {
      return await call(this.connection.callOptions(opts));
    } catch (err) {
      throw toModelGateError(err);
    }
  }

  /** A server-streaming call, started when the returned stream is first iterated. */
  private stream<R>(call: (o: CallOptions) => AsyncIterable<R>, opts: CallOpts | undefined): ResponseStream<R> {
    const base = this.connection.callOptions(opts);
    return new ResponseStream((signal) => call({ ...base, signal }), opts?.signal);
  }

  /** Generates the next assistant message. `messages`: a user string or a list of turns. */
  chat(model: string, messages: string | readonly MessageLike[], opts?: ChatOpts): Promise<ChatResponse> {
    const request = create(ChatRequestSchema, chatRequestInit(model, messages, opts));
    return this.unary((o) => this.raw.chat(request, o), opts);
  }

  /** Chat with a request you built yourself (full control over every field). */
  chatRequest(request: MessageInitShape<typeof ChatRequestSchema>, opts?: CallOpts): Promise<ChatResponse> {
    return this.unary((o) => this.raw.chat(request, o), opts);
  }

  /** Streams the next assistant message as attempt, reasoning_delta/text_delta/tool_call_delta and end events. */
  streamChat(model: string, messages: string | readonly MessageLike[], opts?: ChatOpts): ResponseStream<StreamChatResponse> {
    const request = create(StreamChatRequestSchema, chatRequestInit(model, messages, opts));
    return this.streamChatRequest(request, opts);
  }

  /** StreamChat with a request you built yourself. */
  streamChatRequest(
    request: MessageInitShape<typeof StreamChatRequestSchema>,
    opts?: CallOpts,
  ): ResponseStream<StreamChatResponse> {
    return this.stream((o) => this.raw.streamChat(request, o), opts);
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
    return this.stream((o) => this.raw.generateImage(request, o), opts);
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
    return this.stream((o) => this.raw.speak(request, o), opts);
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
