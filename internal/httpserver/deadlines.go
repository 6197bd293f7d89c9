package httpserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Timeouts bound how long a client may hold a connection without making
// progress. The zero value of a field means its default.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (default 10 s).
	ReadHeader time.Duration
	// Body bounds reading a request's body (default 30 s).
	Body time.Duration
	// Write bounds each write of a response: a client that stops reading is
	// cut off after this long without progress (default 30 s). It is not a
	// bound on a whole response, so a long-lived SSE stream that is idle, or
	// a tool call that works for minutes before answering, is not cut off.
	Write time.Duration
	// Idle closes keep-alive connections idle this long (default 120 s).
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.Body, 30*time.Second)
	def(&t.Write, 30*time.Second)
	def(&t.Idle, 120*time.Second)
	return t
}

// withDeadlines bounds the waits on every client: the body must arrive
// within t.Body and each write must complete within t.Write. net/http's own
// ReadTimeout and WriteTimeout cover a whole request and its response, which
// would end long-lived SSE streams and long tool calls. The read deadline
// stays until readBody (on the MCP endpoint, after authentication) has the
// whole body and lifts it: a rejected or stalled request keeps it, so
// net/http does not wait for the rest of its body either.
func withDeadlines(t Timeouts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(t.Body))
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, d: t.Write}
		dw.extend()
		next.ServeHTTP(dw, r)
		dw.extend() // net/http flushes the end of the response after the handler returns
	})
}

// readBody reads the whole request body under the read deadline set by
// withDeadlines, then lifts the deadline: once net/http has seen the end of
// the body it watches the connection, and a deadline expiring there would
// cancel the request's context — a tool call working longer than the
// deadline, or a session's GET stream.
func readBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, mcp.DefaultMaxRequestBodyBytes+1))
			if err != nil {
				w.Header().Set("Connection", "close")
				writeJSON(w, http.StatusRequestTimeout, map[string]string{"error": fmt.Sprintf("reading the request body: %v", err)})
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		_ = rc.SetReadDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

// deadlineWriter moves the connection's write deadline forward before each
// write, so the deadline bounds a stalled client, not a long response.
type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (w *deadlineWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.d)) }

func (w *deadlineWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(b)
}

func (w *deadlineWriter) FlushError() error {
	w.extend()
	return w.rc.Flush()
}

// Flush is for code that asserts http.Flusher rather than using a ResponseController.
func (w *deadlineWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
