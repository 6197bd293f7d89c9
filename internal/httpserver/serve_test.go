package httpserver

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type slowIn struct {
	Millis int `json:"millis" jsonschema:"how long to work"`
}

type slowOut struct {
	Done bool `json:"done"`
}

// TestGracefulShutdownFinishesInFlightCalls: a tool call in progress when the
// server is told to stop still gets its answer, then Serve returns.
func TestGracefulShutdownFinishesInFlightCalls(t *testing.T) {
	started := make(chan struct{})
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "slow", Description: "works for a while"}, func(ctx context.Context, _ *mcp.CallToolRequest, in slowIn) (*mcp.CallToolResult, slowOut, error) {
		close(started)
		select {
		case <-time.After(time.Duration(in.Millis) * time.Millisecond):
			return nil, slowOut{Done: true}, nil
		case <-ctx.Done():
			return nil, slowOut{}, ctx.Err()
		}
	})
	h := NewHandler(ms, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, h, ServeOptions{Listen: "127.0.0.1:0", ShutdownWait: 20 * time.Second, OnListen: func(a net.Addr) { addr <- a }})
	}()
	url := "http://" + (<-addr).String() + Endpoint

	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	result := make(chan *mcp.CallToolResult, 1)
	callErr := make(chan error, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"millis": 1500}})
		callErr <- err
		result <- res
	}()
	<-started
	cancel() // SIGTERM, as far as Serve knows

	if err := <-callErr; err != nil {
		t.Fatalf("in-flight call failed during shutdown: %v", err)
	}
	if res := <-result; res.IsError {
		t.Fatalf("in-flight call returned an error: %v", res.Content)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get("http://" + url[len("http://"):]); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}
