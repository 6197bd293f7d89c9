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

// withDeadlines applies the body-read and per-write deadlines to every
// request. net/http's own ReadTimeout and WriteTimeout cover a whole request
// and its response, which would end long-lived SSE streams and long tool
// calls; these deadlines bound only the waits on the client.
func withDeadlines(t Timeouts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, d: t.Write}
		dw.extend()
		if r.Body != nil && r.Body != http.NoBody {
			// Read the whole body now, within the deadline, then clear it: a
			// read deadline left on the connection would cancel the request's
			// context (net/http watches the connection after the body) when a
			// tool call works longer than the deadline.
			_ = rc.SetReadDeadline(time.Now().Add(t.Body))
			body, err := io.ReadAll(io.LimitReader(r.Body, mcp.DefaultMaxRequestBodyBytes+1))
			if err != nil {
				// A slow or broken client. The deadline stays, so that
				// net/http does not wait for the rest of the body either.
				dw.Header().Set("Connection", "close")
				writeJSON(dw, http.StatusRequestTimeout, map[string]string{"error": fmt.Sprintf("reading the request body: %v", err)})
				return
			}
			_ = rc.SetReadDeadline(time.Time{})
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(dw, r)
		dw.extend() // net/http flushes the end of the response after the handler returns
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
