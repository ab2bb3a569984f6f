/**
 * Chat requests built from the `chat`/`streamChat` arguments: the shorthands of
 * `ChatOpts` applied over the fields of `opts.request`.
 */

import { create } from "@bufbuild/protobuf";

import { MessageSchema } from "./gen/modelgate/v1/content_pb.js";
import { GenerationConfigSchema } from "./gen/modelgate/v1/generation_pb.js";
import { toMessages, type MessageLike } from "./messages.js";
import type { ChatOpts } from "./options.js";

/** The init of a ChatRequest or StreamChatRequest (they share their fields). */
export function chatRequestInit(model: string, messages: string | readonly MessageLike[], opts: ChatOpts = {}) {
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
