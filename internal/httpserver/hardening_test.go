package httpserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveForTest serves h on a loopback port until the test ends.
func serveForTest(t *testing.T, h *Handler) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, h, ServeOptions{Listen: "127.0.0.1:0", ShutdownWait: 5 * time.Second, OnListen: func(a net.Addr) { addr <- a }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return (<-addr).String()
}

// closedByServer reads from conn until the server closes it (nil) or the
// safety bound passes (an error): a bounded probe, not a timing assertion.
func closedByServer(conn net.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(waitLimit))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("the connection was still open after %s", waitLimit)
	}
	return nil
}

// TestTimeoutsCloseStalledConnections: idle keep-alive connections, clients
// that never finish their headers and clients that never finish their body
// are closed by the server.
func TestTimeoutsCloseStalledConnections(t *testing.T) {
	short := 300 * time.Millisecond
	for _, key := range []string{"", "k"} { // with a key, the stalled requests are unauthenticated
		ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
		h := NewHandler(ms, Options{APIKey: key, Timeouts: Timeouts{ReadHeader: short, Body: short, Write: short, Idle: short}})
		t.Run("key="+key, func(t *testing.T) { probeStalls(t, serveForTest(t, h)) })
	}
}

func probeStalls(t *testing.T, addr string) {

	probes := map[string]string{
		"idle connection":   "",
		"unfinished header": "POST /message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
		"unfinished body":   "POST /message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\":",
		"after a request":   "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", // then idle on keep-alive
	}
	for name, send := range probes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if send != "" {
				if _, err := io.WriteString(conn, send); err != nil {
					t.Fatal(err)
				}
			}
			if err := closedByServer(conn); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLongCallOutlivesDeadlines: a tool call that works longer than every
// deadline still answers (the deadlines bound waits on the client, not work),
// and so does an SSE GET stream that stays idle longer than them.
func TestLongCallOutlivesDeadlines(t *testing.T) {
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "slow", Description: "works for a while"}, func(ctx context.Context, _ *mcp.CallToolRequest, in slowIn) (*mcp.CallToolResult, slowOut, error) {
		select {
		case <-time.After(time.Duration(in.Millis) * time.Millisecond):
			return nil, slowOut{Done: true}, nil
		case <-ctx.Done():
			return nil, slowOut{}, ctx.Err()
		}
	})
	short := 200 * time.Millisecond
	h := NewHandler(ms, Options{Timeouts: Timeouts{ReadHeader: short, Body: short, Write: short, Idle: 5 * time.Second}})
	addr := serveForTest(t, h)
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + Endpoint, HTTPClient: &http.Client{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for range 2 { // the second call proves the session (and its GET stream) survived the first
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"millis": 1000}})
		if err != nil || res.IsError {
			t.Fatalf("a call longer than the deadlines: %v %v", err, res)
		}
	}
}

// TestSessionCap: past max_sessions an initialize gets 503 with Retry-After;
// requests of existing sessions still work, and a closed session frees a place.
func TestSessionCap(t *testing.T) {
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	h := NewHandler(ms, Options{MaxSessions: 2})
	addr := serveForTest(t, h)
	url := "http://" + addr + Endpoint
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	connect := func() (*mcp.ClientSession, error) {
		return client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{}}, nil)
	}
	a, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	b, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res := post(t, url, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third initialize: status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "max_sessions") {
		t.Errorf("503 body does not name max_sessions: %s", body)
	}
	// A batch holding an initialize is an initialize too (older protocol
	// versions accept batches): it must not get round the cap.
	breq, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("["+initBody+"]"))
	breq.Header.Set("Content-Type", "application/json")
	breq.Header.Set("Accept", "application/json, text/event-stream")
	bres, err := http.DefaultClient.Do(breq)
	if err != nil {
		t.Fatal(err)
	}
	bres.Body.Close()
	if bres.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("batched initialize at the cap: status %d, want 503", bres.StatusCode)
	}
	if err := b.Ping(context.Background(), nil); err != nil {
		t.Errorf("an existing session stopped working at the cap: %v", err)
	}
	_ = a.Close()
	c, err := connect()
	if err != nil {
		t.Fatalf("initialize after a session closed: %v", err)
	}
	_ = c.Close()
}

// TestReadyzCostIsBounded: a burst of concurrent /readyz requests runs the
// readiness check once; the answer is shared.
func TestReadyzCostIsBounded(t *testing.T) {
	var checks atomic.Int32
	release := make(chan struct{})
	ts, _ := newTestServer(t, "", func(context.Context) error {
		checks.Add(1)
		<-release
		return nil
	})
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Go(func() {
			res, err := http.Get(ts.URL + "/readyz")
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	// Let the burst queue up behind the one check, then release it.
	for checks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusOK {
			t.Errorf("/readyz = %d", code)
		}
	}
	// More requests right after: answered from the cached result.
	for range 20 {
		res, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if n := checks.Load(); n != 1 {
		t.Errorf("70 /readyz requests ran the check %d times, want 1", n)
	}
}

// TestReadyCacheExpires: after the cache period a new check runs (a fake clock).
func TestReadyCacheExpires(t *testing.T) {
	var checks int
	now := time.Unix(0, 0)
	c := newReadyCache(func(context.Context) error { checks++; return nil })
	c.now = func() time.Time { return now }
	_ = c.ready(context.Background())
	_ = c.ready(context.Background())
	now = now.Add(readyCacheFor)
	_ = c.ready(context.Background())
	if checks != 2 {
		t.Errorf("checks = %d, want 2 (one per period)", checks)
	}
}

// TestChallengeNamesTheError: the 401 challenge says invalid_token and how to
// send the key, so clients do not start an OAuth flow blindly.
func TestChallengeNamesTheError(t *testing.T) {
	ts, _ := newTestServer(t, "secret", nil)
	res := post(t, ts.URL+Endpoint, nil)
	got := res.Header.Get("WWW-Authenticate")
	for _, want := range []string{`Bearer `, `error="invalid_token"`, `error_description="send the API key as Authorization: Bearer KEY or X-API-Key: KEY"`} {
		if !strings.Contains(got, want) {
			t.Errorf("WWW-Authenticate %q lacks %q", got, want)
		}
	}
}

// TestStatelessServesWithoutInitialize: a tools/call POST with no session and
// no initialize is answered; GET (a server-to-client stream) is refused.
func TestStatelessServesWithoutInitialize(t *testing.T) {
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "slow", Description: "works for a while"}, func(ctx context.Context, _ *mcp.CallToolRequest, in slowIn) (*mcp.CallToolResult, slowOut, error) {
		return nil, slowOut{Done: true}, nil
	})
	h := NewHandler(ms, Options{Stateless: true})
	addr := serveForTest(t, h)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+Endpoint,
		strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{"millis":1}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(res.Body))
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"done":true`) {
		t.Fatalf("stateless tools/call without initialize: %d %s", res.StatusCode, body)
	}
	if res.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("stateless answer carries a session id")
	}
}
