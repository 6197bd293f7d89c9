package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// answerBody is a tools/call answer to request id, encoded by the MCP SDK
// as its server sends it.
func answerBody(t *testing.T, id int64, res *mcp.CallToolResult) []byte {
	t.Helper()
	rb, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	rid, err := jsonrpc.MakeID(float64(id)) // JSON numbers decode as float64
	if err != nil {
		t.Fatal(err)
	}
	b, err := jsonrpc.EncodeMessage(&jsonrpc.Response{ID: rid, Result: rb})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func page(vms, total int) *mcp.CallToolResult {
	var b strings.Builder
	b.WriteString(`{"vms":[`)
	for i := range vms {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"vm-%d","name":"\"isError\":true}}"}`, i)
	}
	fmt.Fprintf(&b, `],"total":%d,"truncated":false}`, total)
	return &mcp.CallToolResult{StructuredContent: json.RawMessage(b.String()), Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}
}

func TestCheckPage(t *testing.T) {
	t.Parallel()
	toolError := &mcp.CallToolResult{}
	toolError.SetError(errors.New("the inventory is not ready"))
	errored := page(3, 3)
	errored.IsError = true
	tests := []struct {
		name    string
		body    []byte
		id      int64
		limit   int
		fast    bool   // the structured content is read without decoding the rest
		wantErr string // "" for a good page
	}{
		{"a full page", answerBody(t, 7, page(100, 250)), 7, 100, true, ""},
		{"the last page", answerBody(t, 8, page(3, 3)), 8, 100, true, ""},
		{"a short page", answerBody(t, 9, page(99, 250)), 9, 100, true, "a page of 99 VMs out of 250"},
		{"the answer to another request", answerBody(t, 10, page(3, 3)), 11, 100, false, "answer to request 10, want 11"},
		{"a tool error", answerBody(t, 12, toolError), 12, 100, false, "a tool error"},
		{"a tool error with structured content", answerBody(t, 13, errored), 13, 100, false, "a tool error"},
		{"a protocol error", []byte(`{"jsonrpc":"2.0","id":14,"error":{"code":-32602,"message":"unknown tool"}}`), 14, 100, false, "unknown tool"},
		{"another field order", []byte(`{"jsonrpc":"2.0","id":15,"result":{"structuredContent":{"vms":[{},{}],"total":2},"content":[]}}`), 15, 100, false, ""},
		{"not JSON", []byte(`{"jsonrpc":"2.0","id":16,"result":{"structuredContent":{"vms":[,]}}}`), 16, 100, true, "decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, fast := structuredContent(tt.body, tt.id); fast != tt.fast {
				t.Errorf("read without decoding the rest: %v, want %v", fast, tt.fast)
			}
			err := checkPage(tt.body, tt.id, tt.limit)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkPage: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkPage: %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestAnswerEvent(t *testing.T) {
	t.Parallel()
	answer := `{"jsonrpc":"2.0","id":3,"result":{}}`
	tests := []struct {
		name, stream string
		want         string // "" for an error
	}{
		{"one event", "event: message\nid: 1\ndata: " + answer + "\n\n", answer},
		{"without a blank line at the end", "data: " + answer, answer},
		{"after a notification", "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: " + answer + "\n\n", answer},
		{"CRLF line ends", "data: " + answer + "\r\n\r\n", answer},
		{"data on two lines", "data: {\"jsonrpc\":\"2.0\",\"id\":3,\ndata: \"result\":{}}\n\n", "{\"jsonrpc\":\"2.0\",\"id\":3,\n\"result\":{}}"},
		{"the answer to another request", "data: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n\n", ""},
		{"no event", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := answerEvent([]byte(tt.stream), 3)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("answerEvent = %q, want an error", got)
			case tt.want != "" && (err != nil || string(got) != tt.want):
				t.Errorf("answerEvent = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
