package httpserver

import "net/http"

// Pacer paces the answers of tool calls (toolcalls.Pacer): Track marks a
// request, written is called at every write of its response, done when it
// has ended.
type Pacer interface {
	Track(r *http.Request) (written, done func())
}

// pace tracks every POST to the MCP endpoint with p.
func pace(p Pacer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
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
