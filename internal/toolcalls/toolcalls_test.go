package toolcalls_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/metrics"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/toolcalls"
)

type holdIn struct {
	Bytes int `json:"bytes" jsonschema:"size of the answer"`
}

type holdOut struct {
	Data string `json:"data"`
}

// connect serves a server with a "hold" tool (blocks until release is
// closed, then answers Bytes bytes) through the guard, in memory.
func connect(t *testing.T, opts toolcalls.Options, entered chan<- struct{}, release <-chan struct{}) *mcp.ClientSession {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "hold", Description: "waits"}, func(ctx context.Context, _ *mcp.CallToolRequest, in holdIn) (*mcp.CallToolResult, holdOut, error) {
		if entered != nil {
			entered <- struct{}{}
		}
		if release != nil {
			<-release
		}
		return nil, holdOut{Data: strings.Repeat("x", in.Bytes)}, nil
	})
	s.AddReceivingMiddleware(toolcalls.Middleware(opts))
	ct, st := mcp.NewInMemoryTransports()
	if _, err := s.Connect(context.Background(), st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestConcurrencyCap: with max_concurrent_calls reached, a further call waits
// its bounded time, then fails with a tool error naming the setting; once a
// slot is free, calls run again. The metrics count the refusals, labelled by
// the tool's name only once that tool has answered: before, and for names a
// client makes up, the busy outcome is counted under "unknown".
func TestConcurrencyCap(t *testing.T) {
	m := metrics.New()
	entered, release := make(chan struct{}, 4), make(chan struct{}, 4)
	cs := connect(t, toolcalls.Options{MaxConcurrent: 1, QueueWait: 100 * time.Millisecond, Metrics: m}, entered, release)
	call := func(name string) (*mcp.CallToolResult, error) {
		return cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{"bytes": 1}})
	}
	const invented = "invented-tool-4711"
	// busyRound holds the only slot with a "hold" call, checks that "hold"
	// and an invented name are both refused, then lets the holder answer.
	busyRound := func(round string) {
		t.Helper()
		first := make(chan *mcp.CallToolResult, 1)
		go func() {
			res, _ := call("hold")
			first <- res
		}()
		<-entered
		for _, name := range []string{"hold", invented} {
			res, err := call(name)
			if err != nil || !res.IsError || !strings.Contains(text(res), "max_concurrent_calls") {
				t.Fatalf("%s: call of %q beyond the cap: %v %+v, want a tool error naming max_concurrent_calls", round, name, err, res)
			}
		}
		release <- struct{}{}
		if r := <-first; r == nil || r.IsError {
			t.Fatalf("%s: the holding call: %+v", round, r)
		}
	}
	busyRound("before hold ever answered") // busy: "unknown" twice
	busyRound("after hold answered")       // busy: "hold" once, "unknown" once
	release <- struct{}{}
	if res, err := call("hold"); err != nil || res.IsError {
		t.Fatalf("call after the slot freed: %v %+v", err, res)
	}
	scrape := scrapeMetrics(t, m)
	for _, want := range []string{
		`esxi_mcp_tool_calls_total{outcome="busy",tool="unknown"} 3`,
		`esxi_mcp_tool_calls_total{outcome="busy",tool="hold"} 1`,
		`esxi_mcp_tool_calls_total{outcome="ok",tool="hold"} 3`,
		`esxi_mcp_calls_in_flight 0`,
		`esxi_mcp_tool_call_duration_seconds_count{tool="hold"} 4`,
		`esxi_mcp_tool_call_duration_seconds_count{tool="unknown"} 3`,
	} {
		if !strings.Contains(scrape, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(scrape, invented) {
		t.Errorf("a name the client made up became a label:\n%s", scrape)
	}
}

// TestAnswerSizeCap: an answer over the cap becomes its beginning plus a
// truncated marker; one under it is untouched.
func TestAnswerSizeCap(t *testing.T) {
	cs := connect(t, toolcalls.Options{MaxAnswerBytes: 10_000}, nil, nil)
	small, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "hold", Arguments: map[string]any{"bytes": 100}})
	if err != nil || small.IsError || small.StructuredContent == nil {
		t.Fatalf("small answer changed: %v %+v", err, small)
	}
	big, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "hold", Arguments: map[string]any{"bytes": 50_000}})
	if err != nil {
		t.Fatal(err)
	}
	msg := text(big)
	if !big.IsError || !strings.HasPrefix(msg, "[truncated: the answer was ") || !strings.Contains(msg, "cap of 10000 bytes") || !strings.Contains(msg, "limit and cursor") {
		t.Fatalf("big answer: %.300s", msg)
	}
	if len(msg) > 10_000 || big.Meta[toolcalls.TruncatedMeta] != true {
		t.Errorf("truncated answer is %d bytes, _meta %v", len(msg), big.Meta)
	}
}

// TestUnknownToolIsNotALabel: a call of an unknown tool counts under "unknown",
// so clients cannot create label values.
func TestUnknownToolIsNotALabel(t *testing.T) {
	m := metrics.New()
	cs := connect(t, toolcalls.Options{Metrics: m}, nil, nil)
	_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no-such-tool-4711"})
	scrape := scrapeMetrics(t, m)
	if strings.Contains(scrape, "no-such-tool-4711") || !strings.Contains(scrape, `tool="unknown"`) {
		t.Errorf("unknown tool in the metrics:\n%s", scrape)
	}
}

func scrapeMetrics(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}
