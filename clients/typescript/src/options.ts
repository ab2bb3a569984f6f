/**
 * The options callers pass: per call (deadline, metadata, cancellation, chat
 * shorthands), per client (credentials, default metadata and deadline), and the
 * ListModels filters.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";

import type { ChatRequestSchema } from "./gen/modelgate/v1/chat_pb.js";
import type { GenerationConfigSchema, ReasoningConfigSchema } from "./gen/modelgate/v1/generation_pb.js";
import type { Capability } from "./gen/modelgate/v1/model_pb.js";

/** gRPC metadata (headers) sent with a call; keys are case-insensitive. */
export type Metadata = Record<string, string>;

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

export interface ListModelsFilter {
  provider?: string;
  runtime?: string;
  capability?: Capability;
  availableOnly?: boolean;
  pageSize?: number;
}
