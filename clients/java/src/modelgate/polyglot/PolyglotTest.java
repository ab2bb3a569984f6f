// Cross-language smoke test of the generated Java client against a running
// gateway (echo provider). Uses only the generated classes (modelgate.v1,
// com.google.rpc) and grpc-java.
//
// Usage: see docs/other-languages.md (javac/java with the Debian jars), with
// MODELGATE_TARGET=host:port in the environment.
package modelgate.polyglot;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import modelgate.v1.ChatRequest;
import modelgate.v1.ChatResponse;
import modelgate.v1.ContentPart;
import modelgate.v1.ListModelsRequest;
import modelgate.v1.ListModelsResponse;
import modelgate.v1.Message;
import modelgate.v1.Model;
import modelgate.v1.ModelGatewayGrpc;
import modelgate.v1.ReasoningConfig;
import modelgate.v1.ReasoningEffort;
import modelgate.v1.ResponseFormat;
import modelgate.v1.ResponseFormatType;
import modelgate.v1.Role;
import modelgate.v1.SpeakRequest;
import modelgate.v1.SpeakResponse;
import modelgate.v1.SpeechEnd;
import modelgate.v1.StreamChatRequest;
import modelgate.v1.StreamChatResponse;

public final class PolyglotTest {
  private static final String INPUT = "hello polyglot";
  // JSON the gateway must pass through as written: key order and an integer beyond 2^53.
  private static final String JSON_SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"zeta\":{\"type\":\"integer\"},"
          + "\"alpha\":{\"type\":\"integer\"}},\"required\":[\"zeta\",\"alpha\"]}";
  private static final String JSON_ANSWER = "{\"zeta\": 36, \"alpha\": 1152921504606846976}";
  // Echo speaks 50 ms of 16 kHz mono 16-bit silence per character: for these 30 characters,
  // 1.5 s, so 48000 bytes of samples after a 44-byte header, sent in two chunks.
  private static final String SPOKEN = "hello polyglot, hello polyglot";
  private static final long SPOKEN_WAV_BYTES = 44 + 48000;
  private static int failures = 0;

  private static void check(String what, boolean ok, String detail) {
    System.out.printf("[java] %s %s: %s%n", ok ? "ok  " : "FAIL", what, detail);
    if (!ok) {
      failures++;
    }
  }

  private static Message user(String text) {
    return Message.newBuilder()
        .setRole(Role.ROLE_USER)
        .addParts(ContentPart.newBuilder().setText(text))
        .build();
  }

  private static String text(List<ContentPart> parts) {
    StringBuilder b = new StringBuilder();
    for (ContentPart p : parts) {
      b.append(p.getText());
    }
    return b.toString();
  }

  private static String ascii(byte[] bytes, int from, int to) {
    return bytes.length < to ? "" : new String(bytes, from, to - from, StandardCharsets.US_ASCII);
  }

  /** Speak: the audio chunks reassemble into the WAV that SpeechEnd accounts for. */
  private static void checkSpeak(ManagedChannel channel) {
    Iterator<SpeakResponse> events =
        stub(channel, 10000, "polyglot-java-7")
            .speak(SpeakRequest.newBuilder().setModel("echo").setText(SPOKEN).build());
    List<String> kinds = new ArrayList<>();
    ByteArrayOutputStream audio = new ByteArrayOutputStream();
    int chunks = 0;
    String mime = "";
    SpeechEnd end = null;
    while (events.hasNext()) {
      SpeakResponse ev = events.next();
      kinds.add(ev.getEventCase().name().toLowerCase());
      if (ev.hasStarted()) {
        mime = ev.getStarted().getMimeType();
      } else if (ev.hasEnd()) {
        end = ev.getEnd();
      } else if (ev.getEventCase() == SpeakResponse.EventCase.CHUNK) {
        byte[] chunk = ev.getChunk().toByteArray();
        audio.write(chunk, 0, chunk.length);
        chunks++;
      }
    }
    byte[] wav = audio.toByteArray();
    String first = kinds.isEmpty() ? "" : kinds.get(0);
    String last = kinds.isEmpty() ? "" : kinds.get(kinds.size() - 1);
    check(
        "Speak starts with started, audio/wav",
        first.equals("started") && mime.equals("audio/wav"),
        first + " " + mime);
    String riff = ascii(wav, 0, 4) + "/" + ascii(wav, 8, 12);
    check("Speak audio has a RIFF/WAVE header", riff.equals("RIFF/WAVE"), riff);
    long dataSize =
        wav.length < 44 ? -1 : ByteBuffer.wrap(wav, 40, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    check(
        "Speak WAV data size fills the file",
        ascii(wav, 36, 40).equals("data") && dataSize == wav.length - 44,
        "data chunk " + dataSize + " bytes of " + wav.length);
    long announced = end == null ? -1 : end.getAudioSizeBytes();
    check(
        "Speak bytes received equal SpeechEnd.audio_size_bytes",
        announced == wav.length,
        "end says " + announced + ", received " + wav.length + " in " + chunks + " chunk(s)");
    check(
        "Speak audio is 50 ms per character",
        wav.length == SPOKEN_WAV_BYTES && chunks >= 2,
        wav.length + " bytes (want " + SPOKEN_WAV_BYTES + ") in " + chunks + " chunk(s)");
    check("Speak last event is end", last.equals("end"), last + " (" + kinds.size() + " events)");
  }

  /** A stub with a per-call deadline and per-call metadata. */
  private static ModelGatewayGrpc.ModelGatewayBlockingStub stub(
      ManagedChannel channel, long timeoutMs, String requestId) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-polyglot-client", Metadata.ASCII_STRING_MARSHALLER), "java");
    headers.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), requestId);
    return ModelGatewayGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static void run(ManagedChannel channel) throws InvalidProtocolBufferException {
    // Unary Chat.
    ChatResponse res =
        stub(channel, 5000, "polyglot-java-1")
            .chat(ChatRequest.newBuilder().setModel("echo").addMessages(user(INPUT)).build());
    String got = text(res.getContentList());
    check("Chat echoes the input", got.equals(INPUT), '"' + got + '"');

    // Structured output: the schema goes as JSON text, the answer comes back as written.
    ChatResponse structured =
        stub(channel, 5000, "polyglot-java-5")
            .chat(
                ChatRequest.newBuilder()
                    .setModel("echo")
                    .addMessages(user(JSON_ANSWER))
                    .setResponseFormat(
                        ResponseFormat.newBuilder()
                            .setType(ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA)
                            .setSchemaName("answer")
                            .setSchemaJson(JSON_SCHEMA))
                    .build());
    check(
        "structured_output_json is the answer as written",
        structured.getStructuredOutputJson().equals(JSON_ANSWER),
        structured.getStructuredOutputJson());

    // Reasoning: the echo-thinker model answers with a thought part before the text part.
    ChatResponse thought =
        stub(channel, 5000, "polyglot-java-6")
            .chat(
                ChatRequest.newBuilder()
                    .setModel("echo-thinker")
                    .addMessages(user(INPUT))
                    .setReasoning(
                        ReasoningConfig.newBuilder()
                            .setEffort(ReasoningEffort.REASONING_EFFORT_HIGH))
                    .build());
    List<String> shape = new ArrayList<>();
    for (ContentPart p : thought.getContentList()) {
      shape.add(p.getDataCase().name().toLowerCase());
    }
    String parts = String.join(",", shape);
    check(
        "reasoning answer is a reasoning part, then a text part",
        parts.equals("reasoning,text"),
        parts);
    if (parts.equals("reasoning,text")) {
      String thinking = thought.getContent(0).getReasoning().getText();
      check(
          "reasoning part holds the thought",
          thinking.equals("thinking about: " + INPUT),
          '"' + thinking + '"');
    }
    String answer = text(thought.getContentList());
    check("text part holds the answer alone", answer.equals(INPUT), '"' + answer + '"');
    check(
        "usage.reasoning_tokens counts the thought",
        thought.getUsage().getReasoningTokens() == 4,
        String.valueOf(thought.getUsage().getReasoningTokens()));

    // StreamChat consumed to the end.
    Iterator<StreamChatResponse> events =
        stub(channel, 10000, "polyglot-java-2")
            .streamChat(
                StreamChatRequest.newBuilder().setModel("echo").addMessages(user(INPUT)).build());
    List<String> kinds = new ArrayList<>();
    StringBuilder streamed = new StringBuilder();
    int deltas = 0;
    while (events.hasNext()) {
      StreamChatResponse ev = events.next();
      kinds.add(ev.getEventCase().name().toLowerCase());
      if (ev.hasTextDelta()) {
        streamed.append(ev.getTextDelta().getText());
        deltas++;
      }
    }
    String first = kinds.isEmpty() ? "" : kinds.get(0);
    String last = kinds.isEmpty() ? "" : kinds.get(kinds.size() - 1);
    check("StreamChat first event is attempt", first.equals("attempt"), first);
    check(
        "StreamChat text deltas concatenate to the input",
        streamed.toString().equals(INPUT),
        '"' + streamed.toString() + "\" from " + deltas + " deltas");
    check("StreamChat last event is end", last.equals("end"), last + " (" + kinds.size() + " events)");

    // Speak: server-streamed audio.
    checkSpeak(channel);

    // ListModels, every page.
    List<String> ids = new ArrayList<>();
    String token = "";
    while (true) {
      ListModelsResponse page =
          stub(channel, 5000, "polyglot-java-3")
              .listModels(ListModelsRequest.newBuilder().setPageToken(token).build());
      for (Model m : page.getModelsList()) {
        ids.add(m.getId());
      }
      if (page.getNextPageToken().isEmpty() || page.getNextPageToken().equals(token)) {
        break;
      }
      token = page.getNextPageToken();
    }
    check(
        "ListModels contains echo",
        ids.contains("echo"),
        ids.size() + " models: " + String.join(", ", ids));

    // Error case: the rich status from grpc-status-details-bin.
    try {
      stub(channel, 5000, "polyglot-java-4")
          .chat(ChatRequest.newBuilder().setModel("no-such-model").addMessages(user(INPUT)).build());
      check("Chat with an unknown model fails", false, "it succeeded");
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      check(
          "unknown model -> NOT_FOUND",
          code == Status.Code.NOT_FOUND,
          code + " (" + code.value() + ")");
      com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromThrowable(e);
      ErrorInfo info = null;
      if (details != null) {
        for (Any any : details.getDetailsList()) {
          if (info == null && any.is(ErrorInfo.class)) {
            info = any.unpack(ErrorInfo.class);
          }
        }
      }
      String reason = info == null ? "(no ErrorInfo)" : info.getReason();
      check("ErrorInfo reason MODEL_NOT_FOUND", reason.equals("MODEL_NOT_FOUND"), reason);
      String domain = info == null ? "(no ErrorInfo)" : info.getDomain();
      check(
          "ErrorInfo domain modelgate",
          domain.equals("modelgate"),
          domain + " metadata=" + (info == null ? "{}" : info.getMetadataMap()));
    }
  }

  public static void main(String[] args) throws Exception {
    String target = System.getenv("MODELGATE_TARGET");
    if (target == null || target.isEmpty()) {
      System.err.println("MODELGATE_TARGET (host:port) is not set");
      System.exit(2);
    }
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      run(channel);
    } catch (StatusRuntimeException | InvalidProtocolBufferException e) {
      failures++;
      System.err.println("[java] FAIL unexpected error: " + e);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (failures > 0) {
      System.err.printf("[java] %d check(s) failed%n", failures);
      System.exit(1);
    }
    System.out.println("[java] all checks passed");
  }
}
