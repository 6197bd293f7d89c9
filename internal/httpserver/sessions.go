package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/mcp"
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
type sessionCap struct {
	max      int
	live     func() int
	starting atomic.Int64 // initializes being served, not yet in live
}

func (c *sessionCap) wrap(next http.Handler) http.Handler {
	if c.max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mcp-Session-Id") != "" || !isInitialize(r) {
			next.ServeHTTP(w, r)
			return
		}
		n := c.starting.Add(1)
		defer c.starting.Add(-1)
		// The session being created may already count in live: at the edge
		// this refuses one early, never admits one too many.
		if c.live()+int(n) > c.max {
			w.Header().Set("Retry-After", strconv.Itoa(sessionRetryAfter))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"error": "too many MCP sessions on this server (max_sessions); close unused sessions or try again later",
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isInitialize peeks at a (buffered, see withDeadlines) JSON-RPC body.
func isInitialize(r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var msg struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(body, &msg) == nil && msg.Method == "initialize"
}

func countSessions(s *mcp.Server) int {
	n := 0
	for range s.Sessions() {
		n++
	}
	return n
}
