// Cross-language smoke test of the TypeScript client against a running gateway
// (echo provider). Uses only the generated code and the wrapper in client.ts.
// Usage: MODELGATE_TARGET=127.0.0.1:50051 npx tsx src/polyglot-test.ts
import {
  Code,
  ModelGateClient,
  ModelGateError,
  ReasoningEffort,
  ResponseFormatType,
  responseReasoning,
  responseText,
  type ImageGenerationEnd,
  type ImageStarted,
  type StreamChatResponse,
} from "./client.js";

const target = process.env["MODELGATE_TARGET"];
if (!target) {
  console.error("MODELGATE_TARGET (host:port) is not set");
  process.exit(2);
}

let failures = 0;
function check(what: string, ok: boolean, detail: string): void {
  console.log(`[typescript] ${ok ? "ok  " : "FAIL"} ${what}: ${detail}`);
  if (!ok) failures++;
}

const client = new ModelGateClient(target, { timeoutMs: 10_000, headers: { "x-polyglot-client": "typescript" } });
const input = "hello polyglot";
// JSON the gateway must pass through as written: key order and an integer beyond 2^53.
const jsonSchema = '{"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]}';
const jsonAnswer = '{"zeta": 36, "alpha": 1152921504606846976}';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
try {
  // Unary Chat, with a per-call deadline and per-call metadata.
  const res = await client.chat("echo", input, { timeoutMs: 5_000, headers: { "x-request-id": "polyglot-ts-1" } });
  check("Chat echoes the input", responseText(res) === input, JSON.stringify(responseText(res)));

  // StreamChat consumed to the end.
  const events: StreamChatResponse[] = [];
  for await (const event of client.streamChat("echo", input)) events.push(event);
  const kinds = events.map((e) => e.event.case);
  const text = events.map((e) => (e.event.case === "textDelta" ? e.event.value.text : "")).join("");
  check("StreamChat first event is attempt", kinds[0] === "attempt", String(kinds[0]));
  check("StreamChat text deltas concatenate to the input", text === input, `${JSON.stringify(text)} from ${kinds.filter((k) => k === "textDelta").length} deltas`);
  check("StreamChat last event is end", kinds.at(-1) === "end", `${String(kinds.at(-1))} (${events.length} events)`);

  // Structured output: the schema goes as JSON text, the answer comes back as written.
  const structured = await client.chat("echo", jsonAnswer, {
    request: {
      responseFormat: { type: ResponseFormatType.JSON_SCHEMA, schemaName: "answer", schemaJson: jsonSchema },
    },
  });
  check(
    "structured_output_json is the answer as written",
    structured.structuredOutputJson === jsonAnswer,
    structured.structuredOutputJson,
  );

  // Reasoning: the echo-thinker model answers with a thought part before the text part.
  const thought = await client.chat("echo-thinker", input, { reasoning: { effort: ReasoningEffort.HIGH } });
  const parts = thought.content.map((p) => p.data.case);
  check("reasoning answer is a reasoning part, then a text part", parts.join(",") === "reasoning,text", parts.join(","));
  check(
    "reasoning part holds the thought",
    responseReasoning(thought) === `thinking about: ${input}`,
    JSON.stringify(responseReasoning(thought)),
  );
  check("text part holds the answer alone", responseText(thought) === input, JSON.stringify(responseText(thought)));
  check("usage.reasoningTokens counts the thought", thought.usage?.reasoningTokens === 4, String(thought.usage?.reasoningTokens));

  // GenerateImage: echo draws one solid PNG of the requested size (up to 256x256); its bytes
  // come in chunks after an `image` event that announces their total, then an `end` event.
  const imageKinds: string[] = [];
  const chunks: Uint8Array[] = [];
  let started: ImageStarted | undefined;
  let imageEnd: ImageGenerationEnd | undefined;
  for await (const { event } of client.generateImage("echo", input, { request: { size: "48x32" } })) {
    imageKinds.push(String(event.case));
    if (event.case === "image") started ??= event.value;
    else if (event.case === "chunk") chunks.push(event.value.data);
    else if (event.case === "end") imageEnd = event.value;
  }
  const png = Buffer.concat(chunks);
  check("GenerateImage starts with an image/png image event", imageKinds[0] === "image" && started?.mimeType === "image/png", `${imageKinds[0]} ${started?.mimeType}`);
  check("GenerateImage bytes start with the PNG signature", png.subarray(0, 8).equals(PNG_SIGNATURE), png.subarray(0, 8).toString("hex"));
  // IHDR is the first PNG chunk: width and height are big-endian at bytes 16 and 20.
  const drawn = png.subarray(12, 16).toString("latin1") === "IHDR" ? `${png.readUInt32BE(16)}x${png.readUInt32BE(20)}` : "no IHDR";
  check("GenerateImage PNG has the requested size", drawn === "48x32", drawn);
  check(
    "GenerateImage announced size equals the bytes received",
    started?.sizeBytes === BigInt(png.length),
    `announced ${started?.sizeBytes}, received ${png.length} in ${chunks.length} chunk(s)`,
  );
  check(
    "GenerateImage last event is end, counting one image",
    imageKinds.at(-1) === "end" && imageEnd?.imageCount === 1,
    `${imageKinds.at(-1)} (${imageKinds.length} events), imageCount ${imageEnd?.imageCount}`,
  );

  // ListModels (all pages).
  const ids: string[] = [];
  for await (const model of client.listModels()) ids.push(model.id);
  check("ListModels contains echo", ids.includes("echo"), `${ids.length} models: ${ids.join(", ")}`);

  // Error case: rich status decoded from grpc-status-details-bin.
  try {
    await client.chat("no-such-model", input);
    check("Chat with an unknown model fails", false, "it succeeded");
  } catch (err) {
    if (!(err instanceof ModelGateError)) throw err;
    check("unknown model -> NOT_FOUND", err.code === Code.NotFound, `${err.codeName} (${err.code})`);
    check("ErrorInfo reason MODEL_NOT_FOUND", err.reason === "MODEL_NOT_FOUND", String(err.reason));
    check("ErrorInfo domain modelgate", err.domain === "modelgate", `${String(err.domain)} metadata=${JSON.stringify(err.metadata)}`);
  }
} catch (err) {
  failures++;
  console.error(`[typescript] FAIL unexpected error: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  client.close();
}

if (failures > 0) {
  console.error(`[typescript] ${failures} check(s) failed`);
  process.exit(1);
}
console.log("[typescript] all checks passed");
