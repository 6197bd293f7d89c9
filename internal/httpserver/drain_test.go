package httpserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// waitLimit bounds waits on goroutines: a safety net against a hung test, not
// a timing assertion.
const waitLimit = time.Minute

// TestInflightWait: the in-flight counter's wait covers work that starts
// while it is already waiting, and gives up when its context ends.
func TestInflightWait(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		if err := newInflight().wait(context.Background()); err != nil {
			t.Fatalf("wait with nothing in flight: %v", err)
		}
	})
	t.Run("work starting during the wait", func(t *testing.T) {
		f := newInflight()
		f.start() // A
		waited := make(chan error, 1)
		go func() { waited <- f.wait(context.Background()) }()
		f.start() // B arrives while the wait is under way
		f.done()  // A ends: B is still in flight
		select {
		case err := <-waited:
			t.Fatalf("wait returned (%v) while B was in flight", err)
		default:
		}
		f.done() // B ends
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("wait: %v", err)
			}
		case <-time.After(waitLimit):
			t.Fatal("wait did not return once nothing was in flight")
		}
	})
	t.Run("context ends first", func(t *testing.T) {
		f := newInflight()
		f.start()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := f.wait(ctx); err != context.Canceled {
			t.Fatalf("wait = %v, want context.Canceled", err)
		}
		f.done()
	})
}

type holdIn struct {
	ID string `json:"id" jsonschema:"which call this is"`
}

// TestDrainCoversCallsArrivingDuringDrain: a tool call that arrives while
// Drain waits for another keeps its session until it has answered; Drain
// returns only after both calls are done.
func TestDrainCoversCallsArrivingDuringDrain(t *testing.T) {
	entered := make(chan string, 2)
	release := map[string]chan struct{}{"first": make(chan struct{}), "second": make(chan struct{})}
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "hold", Description: "works until released"}, func(ctx context.Context, _ *mcp.CallToolRequest, in holdIn) (*mcp.CallToolResult, slowOut, error) {
		entered <- in.ID
		select {
		case <-release[in.ID]:
			return nil, slowOut{Done: true}, nil
		case <-ctx.Done():
			return nil, slowOut{}, ctx.Err()
		}
	})
	h := NewHandler(ms, Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: srv.URL + Endpoint, HTTPClient: &http.Client{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	call := func(id string) <-chan error {
		errc := make(chan error, 1)
		go func() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "hold", Arguments: map[string]any{"id": id}})
			if err == nil && res.IsError {
				err = fmt.Errorf("tool error: %v", res.Content)
			}
			errc <- err
		}()
		if got := <-entered; got != id {
			t.Fatalf("call %s entered the tool, want %s", got, id)
		}
		return errc
	}
	first := call("first")
	drained := make(chan struct{})
	go func() {
		h.Drain(context.Background())
		close(drained)
	}()
	second := call("second")

	close(release["first"])
	if err := <-first; err != nil {
		t.Fatalf("first call: %v", err)
	}
	select {
	case <-drained:
		t.Fatal("Drain returned while the second call was in flight")
	default:
	}
	close(release["second"])
	if err := <-second; err != nil {
		t.Fatalf("second call, which arrived during drain: %v", err)
	}
	select {
	case <-drained:
	case <-time.After(waitLimit):
		t.Fatal("Drain did not return after both calls were done")
	}
}
