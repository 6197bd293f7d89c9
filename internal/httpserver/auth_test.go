package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func newTestServer(t *testing.T, key string, ready func(context.Context) error) (*httptest.Server, *mcp.Server) {
	t.Helper()
	ms := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	h := NewHandler(ms, Options{APIKey: key, Ready: ready})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, ms
}

func post(t *testing.T, url string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		// Set the header verbatim, so lower-case names reach the server as sent.
		req.Header[k] = []string{v}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func sessions(s *mcp.Server) int {
	n := 0
	for range s.Sessions() {
		n++
	}
	return n
}

func TestAuthMatrix(t *testing.T) {
	const key = "k3y-0123456789"
	tests := []struct {
		name    string
		headers map[string]string
		ok      bool
	}{
		{"no header", nil, false},
		{"wrong bearer", map[string]string{"Authorization": "Bearer nope"}, false},
		{"wrong X-API-Key", map[string]string{"X-Api-Key": "nope"}, false},
		{"key prefix only", map[string]string{"X-Api-Key": key[:5]}, false},
		{"key with extra suffix", map[string]string{"X-Api-Key": key + "x"}, false},
		{"empty X-API-Key", map[string]string{"X-Api-Key": ""}, false},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, false},
		{"bare key in Authorization", map[string]string{"Authorization": key}, false},
		{"basic scheme", map[string]string{"Authorization": "Basic " + key}, false},
		{"bearer", map[string]string{"Authorization": "Bearer " + key}, true},
		{"bearer scheme lower case", map[string]string{"Authorization": "bearer " + key}, true},
		{"X-API-Key", map[string]string{"X-Api-Key": key}, true},
		{"lower-case header names", map[string]string{"authorization": "Bearer " + key}, true},
		{"lower-case x-api-key", map[string]string{"x-api-key": key}, true},
		{"key with surrounding spaces", map[string]string{"X-Api-Key": "  " + key + "  "}, true},
		{"wrong bearer but right X-API-Key", map[string]string{"Authorization": "Bearer nope", "X-Api-Key": key}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, ms := newTestServer(t, key, nil)
			res := post(t, ts.URL+Endpoint, tt.headers)
			if tt.ok {
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200", res.StatusCode)
				}
				return
			}
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.StatusCode)
			}
			if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
			var body map[string]string
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body["error"] == "" {
				t.Errorf("401 body is not a small JSON error: %v %v", body, err)
			}
			if strings.Contains(body["error"], key) {
				t.Error("401 body reveals the key")
			}
			if n := sessions(ms); n != 0 {
				t.Errorf("an unauthenticated request reached MCP: %d sessions", n)
			}
		})
	}
}

func TestAuthCoversEveryMethod(t *testing.T) {
	ts, _ := newTestServer(t, "secret", nil)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut} {
		req, _ := http.NewRequest(method, ts.URL+Endpoint, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without key: status %d, want 401", method, res.StatusCode)
		}
	}
}

func TestNoKeyConfiguredNeedsNoHeader(t *testing.T) {
	ts, _ := newTestServer(t, "", nil)
	if res := post(t, ts.URL+Endpoint, nil); res.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", res.StatusCode)
	}
}

func TestHealthEndpoints(t *testing.T) {
	var readyErr error
	ts, _ := newTestServer(t, "secret", func(context.Context) error { return readyErr })
	get := func(path string) (int, string) {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d, want 200 while vCenter answers", code)
	}
	// A new server: the first one reuses its answer for a few seconds.
	ts, _ = newTestServer(t, "secret", func(context.Context) error { return readyErr })
	readyErr = errors.New("vc.internal.example: connection refused, session 52b3...")
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d, want 503 when vCenter fails", code)
	}
	if strings.Contains(body, "vc.internal") || strings.Contains(body, "52b3") {
		t.Errorf("/readyz reveals details: %s", body)
	}
	if code, _ := get("/message/"); code != http.StatusNotFound {
		t.Errorf("/message/ = %d, want 404 (the endpoint is exactly /message)", code)
	}
}

func TestDNSRebindingProtection(t *testing.T) {
	ts, _ := newTestServer(t, "", nil)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+Endpoint, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Host = "evil.example.com"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host header on loopback: status %d, want 403", res.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+Endpoint, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Origin", "https://evil.example.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin browser POST: status %d, want 403", res.StatusCode)
	}
}
