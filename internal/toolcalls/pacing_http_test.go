package toolcalls_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/toolcalls"
)

type pageIn struct {
	N int `json:"n"`
}

type pageOut struct {
	Items []string `json:"items"`
}

// pagedServer serves a tool "page" (n items of about 200 bytes) over
// Streamable HTTP, with answers paced by pacer.
func pagedServer(t *testing.T, pacer *toolcalls.Pacer) *httptest.Server {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "paced", Version: "test"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "page", Description: "a page of n items"}, func(_ context.Context, _ *mcp.CallToolRequest, in pageIn) (*mcp.CallToolResult, pageOut, error) {
		out := pageOut{Items: make([]string, in.N)}
		for i := range out.Items {
			out.Items[i] = fmt.Sprintf("item %d of %d %s", i, in.N, strings.Repeat("x", 200))
		}
		return nil, out, nil
	})
	server.AddReceivingMiddleware(toolcalls.Middleware(toolcalls.Options{MaxConcurrent: 8, Pacer: pacer}))
	ts := httptest.NewServer(httpserver.NewHandler(server, httpserver.Options{Pacer: pacer}))
	t.Cleanup(ts.Close)
	return ts
}

// TestPacedAnswersOverHTTP calls a tool from several sessions at once over
// Streamable HTTP, with answers paced one at a time: every call gets its own
// whole answer, each answer took a place, and none is held afterwards.
func TestPacedAnswersOverHTTP(t *testing.T) {
	t.Parallel()
	pacer := toolcalls.NewPacer(1)
	ts := pagedServer(t, pacer)

	const sessions, callers, calls = 3, 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, sessions*callers*calls)
	for s := range sessions {
		c := mcp.NewClient(&mcp.Implementation{Name: "caller", Version: "test"}, nil)
		cs, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: ts.URL + httpserver.Endpoint}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cs.Close() }()
		for w := range callers {
			wg.Go(func() {
				for i := range calls {
					n := 50 + 10*s + w + i // a different answer for every caller and call
					res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "page", Arguments: pageIn{N: n}})
					if err != nil {
						errs <- err
						continue
					}
					var out pageOut
					b, _ := json.Marshal(res.StructuredContent)
					if err := json.Unmarshal(b, &out); err != nil || res.IsError || len(out.Items) != n || !strings.HasPrefix(out.Items[n-1], fmt.Sprintf("item %d of %d ", n-1, n)) {
						errs <- fmt.Errorf("call for %d items: answered %d items (error %v, tool error %v)", n, len(out.Items), err, res.IsError)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := pacer.Paced(), int64(sessions*callers*calls); got != want {
		t.Errorf("%d answers took a place, want %d (every call over HTTP is paced)", got, want)
	}
	if pacer.InUse() != 0 {
		t.Errorf("%d places are still held after every call answered", pacer.InUse())
	}
}

// TestBatchIsNotPaced: the answers of a JSON-RPC batch (protocol 2025-03-26)
// share one stream, so none of them takes a place; both are answered.
func TestBatchIsNotPaced(t *testing.T) {
	t.Parallel()
	pacer := toolcalls.NewPacer(1)
	ts := pagedServer(t, pacer)
	endpoint := ts.URL + httpserver.Endpoint
	post := func(session, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	resp, _ := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"batch","version":"test"}}}`)
	session := resp.Header.Get("Mcp-Session-Id")
	if session == "" {
		t.Fatalf("initialize: no session (HTTP %s)", resp.Status)
	}
	post(session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	resp, body := post(session, `[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"page","arguments":{"n":3}}},`+
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"page","arguments":{"n":4}}}]`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"id":2`) || !strings.Contains(body, `"id":3`) || !strings.Contains(body, "item 3 of 4") {
		t.Fatalf("batch: HTTP %s, answers %.400s", resp.Status, body)
	}
	if n := pacer.Paced(); n != 0 {
		t.Errorf("the batch's answers took %d places, want none", n)
	}
	// A single call on the same session is paced.
	resp, body = post(session, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"page","arguments":{"n":2}}}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "item 1 of 2") {
		t.Fatalf("single call: HTTP %s, answer %.400s", resp.Status, body)
	}
	if n := pacer.Paced(); n != 1 {
		t.Errorf("a single call's answer took %d places, want 1", n)
	}
	if pacer.InUse() != 0 {
		t.Errorf("%d places are still held", pacer.InUse())
	}
}
