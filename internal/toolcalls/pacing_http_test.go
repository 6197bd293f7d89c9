package toolcalls_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestPacedAnswersOverHTTP calls a tool from several sessions at once over
// Streamable HTTP, with answers paced one at a time: every call gets its own
// whole answer, each answer took a place, and none is held afterwards.
func TestPacedAnswersOverHTTP(t *testing.T) {
	t.Parallel()
	pacer := toolcalls.NewPacer(1)
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
	defer ts.Close()

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
	if got, want := pacer.Taken(), int64(sessions*callers*calls); got != want {
		t.Errorf("%d answers took a place, want %d (every call over HTTP is paced)", got, want)
	}
	if pacer.Held() != 0 {
		t.Errorf("%d places are still held after every call answered", pacer.Held())
	}
}
