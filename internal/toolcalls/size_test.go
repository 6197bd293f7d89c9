package toolcalls

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestSizeBound: the bound capAnswer uses to skip encoding an answer is
// never below the answer's real JSON size, whatever its text holds, and it
// gives up on contents it cannot bound.
func TestSizeBound(t *testing.T) {
	text := func(s string) []mcp.Content { return []mcp.Content{&mcp.TextContent{Text: s}} }
	raw := json.RawMessage(`{"vms":[{"name":"web-01","path":"/DC0/vm/web-01"}],"total":1}`)
	tests := []struct {
		name   string
		res    *mcp.CallToolResult
		wantOK bool
	}{
		{"empty", &mcp.CallToolResult{}, true},
		{"structured and its text", &mcp.CallToolResult{StructuredContent: raw, Content: text(string(raw))}, true},
		{"quotes and backslashes", &mcp.CallToolResult{Content: text(strings.Repeat(`"\`, 1000))}, true},
		{"HTML characters", &mcp.CallToolResult{Content: text(strings.Repeat("<a&b>", 500))}, true},
		{"control characters", &mcp.CallToolResult{Content: text(strings.Repeat("\x01\n\t\x7f", 500))}, true},
		{"multi-byte and line separators", &mcp.CallToolResult{Content: text(strings.Repeat("é日\u2028\u2029😀", 300))}, true},
		{"invalid UTF-8", &mcp.CallToolResult{Content: text(strings.Repeat("\xff\xfe\xc3", 300))}, true},
		{"an error with meta", &mcp.CallToolResult{IsError: true, Meta: mcp.Meta{"truncated": true}, Content: text("no")}, true},
		{"several texts", &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "a"}, &mcp.TextContent{Text: `"b"`}}}, true},
		{"a large _meta", &mcp.CallToolResult{Meta: mcp.Meta{"note": strings.Repeat("x", 5000)}, Content: text("a")}, true},
		{"a question for the client", &mcp.CallToolResult{RequestState: "token", InputRequests: mcp.InputRequestMap{"confirm": &mcp.ElicitParams{Message: "sure?"}}}, false},
		{"an image", &mcp.CallToolResult{Content: []mcp.Content{&mcp.ImageContent{Data: []byte("png"), MIMEType: "image/png"}}}, false},
		{"structured content not yet encoded", &mcp.CallToolResult{StructuredContent: map[string]any{"a": 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			bound, ok := sizeBound(tt.res)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && bound < len(b) {
				t.Errorf("bound %d is below the real size %d", bound, len(b))
			}
		})
	}
}

// TestCapAnswerAroundTheBound: an answer whose bound is over the cap but
// whose real size is not is kept whole; one really over it is truncated.
func TestCapAnswerAroundTheBound(t *testing.T) {
	const max = 4096
	// '<' is counted 6 bytes by the bound and encoded as 6 (\u003c); 'é'
	// is counted 12 and encoded as 2: 600 of them bound over the cap and
	// encode well under it.
	under := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("é", 600)}}}
	if bound, _ := sizeBound(under); bound <= max {
		t.Fatalf("test setup: bound %d should exceed the cap", bound)
	}
	if got := capAnswer(under, max); got != under {
		t.Errorf("an answer of %d bytes was replaced under a cap of %d", jsonLen(t, under), max)
	}
	over := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("<", 800)}}}
	if got := capAnswer(over, max); got == over || got.Meta[TruncatedMeta] != true {
		t.Errorf("an answer of %d bytes was not truncated under a cap of %d", jsonLen(t, over), max)
	}
}

func jsonLen(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
