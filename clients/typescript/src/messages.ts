/**
 * Conversation turns in the shapes callers write (a string, `{role, content}`,
 * a `modelgate.v1.Message` init) turned into messages, and the text of answers
 * read back out of their content parts.
 */

import { create, type MessageInitShape } from "@bufbuild/protobuf";

import { Role, type ContentPart, type Message, MessageSchema } from "./gen/modelgate/v1/content_pb.js";

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

/** A user string or a list of turns as messages, with `system` (if any) first as a system turn. */
export function toMessages(messages: string | readonly MessageLike[], system?: string): Message[] {
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
