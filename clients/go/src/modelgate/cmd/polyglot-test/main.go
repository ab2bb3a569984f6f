// Command polyglot-test is a cross-language smoke test of the generated Go
// client against a running gateway (echo provider). It uses only the
// generated package modelgate/gen/modelgate/v1 plus grpc-go and the standard
// google.rpc error details.
//
// Build and run (GOPATH mode, Debian packages; see docs/other-languages.md):
//
//	GO111MODULE=off GOPATH=$PWD/clients/go:/usr/share/gocode \
//	  MODELGATE_TARGET=127.0.0.1:50051 go run modelgate/cmd/polyglot-test
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	modelgatev1 "modelgate/gen/modelgate/v1"
)

const input = "hello polyglot"

// JSON the gateway must pass through as written: key order and an integer beyond 2^53.
const (
	jsonSchema = `{"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]}`
	jsonAnswer = `{"zeta": 36, "alpha": 1152921504606846976}`
)

// The WAV the Transcribe check uploads: 0.5 s of 16 kHz mono 16-bit silence, so
// 16000 bytes of samples after the canonical 44-byte header.
const (
	wavRate    = 16000
	wavSeconds = 0.5
)

var failures int

func check(what string, ok bool, detail string) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		failures++
	}
	fmt.Printf("[go] %s %s: %s\n", mark, what, detail)
}

func userMessage(text string) []*modelgatev1.Message {
	return []*modelgatev1.Message{{
		Role:  modelgatev1.Role_ROLE_USER,
		Parts: []*modelgatev1.ContentPart{{Data: &modelgatev1.ContentPart_Text{Text: text}}},
	}}
}

func responseText(parts []*modelgatev1.ContentPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// partKinds names each part's oneof case: "text", "reasoning", ...
func partKinds(parts []*modelgatev1.ContentPart) string {
	kinds := make([]string, 0, len(parts))
	for _, p := range parts {
		switch p.GetData().(type) {
		case *modelgatev1.ContentPart_Text:
			kinds = append(kinds, "text")
		case *modelgatev1.ContentPart_Reasoning:
			kinds = append(kinds, "reasoning")
		default:
			kinds = append(kinds, "other")
		}
	}
	return strings.Join(kinds, ",")
}

// silentWAV is a canonical PCM WAV file (44-byte header) of `seconds` of mono
// 16-bit silence at `rate` frames per second.
func silentWAV(seconds float64, rate int) []byte {
	samples := make([]byte, 2*int(seconds*float64(rate)))
	le := binary.LittleEndian
	header := make([]byte, 44)
	copy(header[0:], "RIFF")
	le.PutUint32(header[4:], uint32(36+len(samples)))
	copy(header[8:], "WAVEfmt ")
	le.PutUint32(header[16:], 16)             // fmt chunk size
	le.PutUint16(header[20:], 1)              // PCM
	le.PutUint16(header[22:], 1)              // mono
	le.PutUint32(header[24:], uint32(rate))   // frames per second
	le.PutUint32(header[28:], uint32(2*rate)) // bytes per second
	le.PutUint16(header[32:], 2)              // bytes per frame
	le.PutUint16(header[34:], 16)             // bits per sample
	copy(header[36:], "data")
	le.PutUint32(header[40:], uint32(len(samples)))
	return append(header, samples...)
}

// checkTranscribe uploads a WAV through the client-streaming Transcribe: the
// config first, then the file in three chunks (the first cuts the header in
// two), and checks the transcript the echo model documents.
func checkTranscribe(client modelgatev1.ModelGatewayClient) error {
	ctx, cancel := callContext(10 * time.Second)
	defer cancel()
	upload, err := client.Transcribe(ctx)
	if err != nil {
		return fmt.Errorf("Transcribe: %w", err)
	}
	wav := silentWAV(wavSeconds, wavRate)
	config := &modelgatev1.TranscriptionConfig{
		Model: "echo", Filename: "silence.wav", AudioSizeBytes: int64(len(wav)),
	}
	if err := upload.Send(&modelgatev1.TranscribeRequest{
		Payload: &modelgatev1.TranscribeRequest_Config{Config: config},
	}); err != nil {
		return fmt.Errorf("Transcribe send config: %w", err)
	}
	cuts := []int{0, 20, len(wav) / 2, len(wav)}
	for i := 1; i < len(cuts); i++ {
		chunk := &modelgatev1.TranscribeRequest_AudioChunk{AudioChunk: wav[cuts[i-1]:cuts[i]]}
		if err := upload.Send(&modelgatev1.TranscribeRequest{Payload: chunk}); err != nil {
			return fmt.Errorf("Transcribe send chunk %d: %w", i, err)
		}
	}
	res, err := upload.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("Transcribe: %w", err)
	}
	// What echo documents (providers/echo_media.py): duration and bytes of the upload.
	const want = "echo heard 0.50 s of audio (16044 bytes)"
	check("Transcribe states the WAV's duration and size", res.GetText() == want, fmt.Sprintf("%q", res.GetText()))
	check("Transcribe counts the bytes uploaded", res.GetAudioSizeBytes() == int64(len(wav)),
		fmt.Sprintf("%d of %d, sent in %d chunks", res.GetAudioSizeBytes(), len(wav), len(cuts)-1))
	got := res.GetDuration().AsDuration()
	check("Transcribe duration is 500ms", got == 500*time.Millisecond, got.String())
	return nil
}

// callContext is a per-call deadline plus per-call metadata.
func callContext(timeout time.Duration, kv ...string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	return metadata.AppendToOutgoingContext(ctx, append([]string{"x-polyglot-client", "go"}, kv...)...), cancel
}

func run(client modelgatev1.ModelGatewayClient) error {
	// Unary Chat.
	ctx, cancel := callContext(5*time.Second, "x-request-id", "polyglot-go-1")
	defer cancel()
	res, err := client.Chat(ctx, &modelgatev1.ChatRequest{Model: "echo", Messages: userMessage(input)})
	if err != nil {
		return fmt.Errorf("Chat: %w", err)
	}
	got := responseText(res.GetContent())
	check("Chat echoes the input", got == input, fmt.Sprintf("%q", got))

	// Structured output: the schema goes as JSON text, the answer comes back as written.
	jctx, jcancel := callContext(5 * time.Second)
	defer jcancel()
	structured, err := client.Chat(jctx, &modelgatev1.ChatRequest{
		Model:    "echo",
		Messages: userMessage(jsonAnswer),
		ResponseFormat: &modelgatev1.ResponseFormat{
			Type:       modelgatev1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
			SchemaName: "answer",
			SchemaJson: jsonSchema,
		},
	})
	if err != nil {
		return fmt.Errorf("Chat (structured): %w", err)
	}
	check("structured_output_json is the answer as written",
		structured.GetStructuredOutputJson() == jsonAnswer, structured.GetStructuredOutputJson())

	// Reasoning: the echo-thinker model answers with a thought part before the text part.
	rctx, rcancel := callContext(5 * time.Second)
	defer rcancel()
	thought, err := client.Chat(rctx, &modelgatev1.ChatRequest{
		Model:     "echo-thinker",
		Messages:  userMessage(input),
		Reasoning: &modelgatev1.ReasoningConfig{Effort: modelgatev1.ReasoningEffort_REASONING_EFFORT_HIGH},
	})
	if err != nil {
		return fmt.Errorf("Chat (reasoning): %w", err)
	}
	shape := partKinds(thought.GetContent())
	check("reasoning answer is a reasoning part, then a text part", shape == "reasoning,text", shape)
	if shape == "reasoning,text" {
		want := "thinking about: " + input
		got := thought.GetContent()[0].GetReasoning().GetText()
		check("reasoning part holds the thought", got == want, fmt.Sprintf("%q", got))
	}
	answer := responseText(thought.GetContent())
	check("text part holds the answer alone", answer == input, fmt.Sprintf("%q", answer))
	check("usage.reasoning_tokens counts the thought", thought.GetUsage().GetReasoningTokens() == 4,
		fmt.Sprint(thought.GetUsage().GetReasoningTokens()))

	// StreamChat consumed to the end.
	sctx, scancel := callContext(10 * time.Second)
	defer scancel()
	stream, err := client.StreamChat(sctx, &modelgatev1.StreamChatRequest{Model: "echo", Messages: userMessage(input)})
	if err != nil {
		return fmt.Errorf("StreamChat: %w", err)
	}
	var kinds []string
	var text strings.Builder
	deltas := 0
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("StreamChat recv: %w", err)
		}
		switch e := ev.GetEvent().(type) {
		case *modelgatev1.StreamChatResponse_Attempt:
			kinds = append(kinds, "attempt")
		case *modelgatev1.StreamChatResponse_TextDelta:
			kinds = append(kinds, "text_delta")
			text.WriteString(e.TextDelta.GetText())
			deltas++
		case *modelgatev1.StreamChatResponse_ToolCallDelta:
			kinds = append(kinds, "tool_call_delta")
		case *modelgatev1.StreamChatResponse_End:
			kinds = append(kinds, "end")
		default:
			kinds = append(kinds, "unknown")
		}
	}
	first, last := "", ""
	if len(kinds) > 0 {
		first, last = kinds[0], kinds[len(kinds)-1]
	}
	check("StreamChat first event is attempt", first == "attempt", first)
	check("StreamChat text deltas concatenate to the input", text.String() == input,
		fmt.Sprintf("%q from %d deltas", text.String(), deltas))
	check("StreamChat last event is end", last == "end", fmt.Sprintf("%s (%d events)", last, len(kinds)))

	// Transcribe: a client-streaming upload.
	if err := checkTranscribe(client); err != nil {
		return err
	}

	// ListModels, every page.
	var ids []string
	token := ""
	for {
		lctx, lcancel := callContext(5 * time.Second)
		page, err := client.ListModels(lctx, &modelgatev1.ListModelsRequest{PageToken: token})
		lcancel()
		if err != nil {
			return fmt.Errorf("ListModels: %w", err)
		}
		for _, m := range page.GetModels() {
			ids = append(ids, m.GetId())
		}
		if page.GetNextPageToken() == "" || page.GetNextPageToken() == token {
			break
		}
		token = page.GetNextPageToken()
	}
	hasEcho := false
	for _, id := range ids {
		hasEcho = hasEcho || id == "echo"
	}
	check("ListModels contains echo", hasEcho, fmt.Sprintf("%d models: %s", len(ids), strings.Join(ids, ", ")))

	// Error case: the rich status from grpc-status-details-bin.
	ectx, ecancel := callContext(5 * time.Second)
	defer ecancel()
	_, err = client.Chat(ectx, &modelgatev1.ChatRequest{Model: "no-such-model", Messages: userMessage(input)})
	if err == nil {
		check("Chat with an unknown model fails", false, "it succeeded")
		return nil
	}
	st, _ := status.FromError(err)
	check("unknown model -> NOT_FOUND", st.Code() == codes.NotFound, fmt.Sprintf("%s (%d)", st.Code(), st.Code()))
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok && info == nil {
			info = i
		}
	}
	check("ErrorInfo reason MODEL_NOT_FOUND", info.GetReason() == "MODEL_NOT_FOUND", info.GetReason())
	check("ErrorInfo domain modelgate", info.GetDomain() == "modelgate",
		fmt.Sprintf("%s metadata=%v", info.GetDomain(), info.GetMetadata()))
	return nil
}

func main() {
	target := os.Getenv("MODELGATE_TARGET")
	if target == "" {
		fmt.Fprintln(os.Stderr, "MODELGATE_TARGET (host:port) is not set")
		os.Exit(2)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	conn, err := grpc.DialContext(dctx, target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fmt.Fprintf(os.Stderr, "[go] FAIL connect %s: %v\n", target, err)
		os.Exit(1)
	}
	defer conn.Close()
	if err := run(modelgatev1.NewModelGatewayClient(conn)); err != nil {
		failures++
		fmt.Fprintf(os.Stderr, "[go] FAIL unexpected error: %v\n", err)
	}
	if failures > 0 {
		fmt.Fprintf(os.Stderr, "[go] %d check(s) failed\n", failures)
		os.Exit(1)
	}
	fmt.Println("[go] all checks passed")
}
