package httpserver

import (
	"bytes"
	"io"
	"net/http"
)

// Pacer paces the answers of tool calls (toolcalls.Pacer): Track marks a
// request, written is called at every write of its response, done when it
// has ended.
type Pacer interface {
	Track(r *http.Request) (written, done func())
}

// pace tracks with p every POST to the MCP endpoint that carries one
// JSON-RPC message. A batch (a JSON array, which clients of protocol
// 2025-03-26 may send) is not paced: its answers share one stream, where one
// answer could hold a place while it waits for another to be written. The
// body is in memory already (readBody).
func pace(p Pacer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || isBatch(r) {
			next.ServeHTTP(w, r)
			return
		}
		written, done := p.Track(r)
		defer done()
		next.ServeHTTP(&pacedWriter{ResponseWriter: w, written: written}, r)
	})
}

// pacedWriter tells the pacer of each write of a response.
type pacedWriter struct {
	http.ResponseWriter
	written func()
}

func (w *pacedWriter) Write(b []byte) (int, error) {
	w.written()
	return w.ResponseWriter.Write(b)
}

func (w *pacedWriter) FlushError() error {
	w.written()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is for code that asserts http.Flusher rather than using a ResponseController.
func (w *pacedWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *pacedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isBatch reports whether r's body is a JSON array, leaving the body to be
// read again.
func isBatch(r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return err == nil && len(trimmed) > 0 && trimmed[0] == '['
}
