package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// sessionRetryAfter is the Retry-After (seconds) of a refused initialize:
// idle sessions expire after session_idle_timeout, and clients that close
// their session free a place at once.
const sessionRetryAfter = 30

// sessionCap refuses a new MCP session (an initialize request) with 503 and
// Retry-After while max sessions are live. It refuses rather than evicting
// the longest-idle session: any client holding a key could otherwise end the
// sessions of others at will, and an idle session is not necessarily
// abandoned (a client waiting on its GET stream looks idle); idle sessions
// still go after session_idle_timeout.
//
// It counts the sessions that initialize requests created and that the MCP
// server still holds: the server also holds short-lived sessions of requests
// sent without a session (e.g. a client probing with server/discover), which
// are not clients' sessions.
type sessionCap struct {
	max      int
	open     func() map[string]bool // ids of the sessions the MCP servers hold
	starting atomic.Int64           // initializes being served, not yet in ids

	mu  sync.Mutex
	ids map[string]struct{} // session ids handed out by initialize
}

func newSessionCap(max int, open func() map[string]bool) *sessionCap {
	return &sessionCap{max: max, open: open, ids: map[string]struct{}{}}
}

// live is the number of sessions initialize created that are still open.
func (c *sessionCap) live() int {
	open := c.open()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.ids {
		if !open[id] {
			delete(c.ids, id)
		}
	}
	return len(c.ids)
}

func (c *sessionCap) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mcp-Session-Id") != "" || !isInitialize(r) {
			next.ServeHTTP(w, r)
			return
		}
		n := c.starting.Add(1)
		defer c.starting.Add(-1)
		if c.max > 0 && c.live()+int(n) > c.max {
			w.Header().Set("Retry-After", strconv.Itoa(sessionRetryAfter))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"error": "too many MCP sessions on this server (max_sessions); close unused sessions or try again later",
			})
			return
		}
		next.ServeHTTP(&sessionIDWriter{ResponseWriter: w, c: c}, r)
	})
}

// sessionIDWriter records the session id an initialize response hands out.
type sessionIDWriter struct {
	http.ResponseWriter
	c    *sessionCap
	seen bool
}

func (w *sessionIDWriter) record() {
	if w.seen {
		return
	}
	w.seen = true
	if id := w.Header().Get("Mcp-Session-Id"); id != "" {
		w.c.mu.Lock()
		w.c.ids[id] = struct{}{}
		w.c.mu.Unlock()
	}
}

func (w *sessionIDWriter) WriteHeader(code int) {
	w.record()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionIDWriter) Write(b []byte) (int, error) {
	w.record()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach flushing and deadlines.
func (w *sessionIDWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isInitialize peeks at a (buffered, see withDeadlines) JSON-RPC body: one
// message, or a batch (which older protocol versions accept) holding an
// initialize anywhere.
func isInitialize(r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	type message struct {
		Method string `json:"method"`
	}
	var msg message
	if json.Unmarshal(body, &msg) == nil {
		return msg.Method == "initialize"
	}
	var batch []message
	if json.Unmarshal(body, &batch) != nil {
		return false
	}
	for _, m := range batch {
		if m.Method == "initialize" {
			return true
		}
	}
	return false
}
