// Package httpserver serves MCP over Streamable HTTP at /message, with API-key
// authentication, health endpoints, TLS and graceful shutdown.
package httpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// Endpoint is the path of the MCP endpoint.
const Endpoint = "/message"

// Options configure the HTTP surface.
type Options struct {
	APIKey string // empty: no authentication (loopback only; config enforces it)
	// Ready reports whether vCenter is usable, for /readyz.
	Ready  func(context.Context) error
	Logger *slog.Logger
	// SessionTimeout closes MCP sessions idle this long (0: 30 minutes).
	SessionTimeout time.Duration
	// MaxSessions caps live MCP sessions (0: no cap); see sessionCap.
	MaxSessions int
	// Stateless serves without server-side sessions: every request stands
	// alone, so any replica behind a load balancer can answer it.
	Stateless bool
	// Timeouts bound the waits on a client (body, each write).
	Timeouts Timeouts
	// OnResponse, when set, is told the status code of every response (metrics).
	OnResponse func(code int)
	// Keys, when set, are the API keys (replaceable at run time); otherwise
	// APIKey alone is an admin key named "default".
	Keys *Keys
	// RoleServers, when set, serve each session with the server of its key's
	// role (tools/list then shows the role's tools only).
	RoleServers map[apikeys.Role]*mcp.Server
	// Pacer, when set, paces the answers of tool calls (toolcalls.Pacer).
	Pacer Pacer
}

// Handler is the whole HTTP surface. Close ends every MCP session, which ends
// their long-lived streams.
type Handler struct {
	http.Handler
	server   *mcp.Server
	servers  []*mcp.Server // every server sessions may belong to
	inflight *inflight
	timeouts Timeouts
	sessions *sessionCap // nil in stateless mode
}

// NewHandler mounts the MCP server at /message plus /healthz and /readyz.
// /readyz reuses a readiness answer for a few seconds (see readyCacheFor).
func NewHandler(server *mcp.Server, opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.SessionTimeout
	if timeout == 0 {
		timeout = 30 * time.Minute
	}
	h := &Handler{server: server, servers: []*mcp.Server{server}, inflight: newInflight(), timeouts: opts.Timeouts.withDefaults()}
	for _, s := range opts.RoleServers {
		if s != server {
			h.servers = append(h.servers, s)
		}
	}
	keys := opts.Keys
	if keys == nil {
		keys = NewKeys(defaultKeySet(opts.APIKey))
	}
	keys.setCloser(h.closeSession)
	// One server per role, one MCP session per client (the handler keys them
	// by Mcp-Session-Id). DNS-rebinding protection stays on (the default).
	var mcpHandler http.Handler = mcp.NewStreamableHTTPHandler(
		func(r *http.Request) *mcp.Server { return serverFor(r, server, opts.RoleServers) },
		&mcp.StreamableHTTPOptions{SessionTimeout: timeout, Stateless: opts.Stateless, Logger: log},
	)
	if !opts.Stateless {
		h.sessions = newSessionCap(opts.MaxSessions, liveSessions(h.servers))
		mcpHandler = h.sessions.wrap(mcpHandler)
	}
	if opts.Pacer != nil {
		mcpHandler = pace(opts.Pacer, mcpHandler)
	}
	// Only an authenticated request gets its body read (see readBody).
	mcpHandler = readBody(mcpHandler)
	// Browsers send Origin / Sec-Fetch-Site: refuse cross-origin writes.
	mcpHandler = http.NewCrossOriginProtection().Handler(mcpHandler)
	mcpHandler = requireAPIKey(keys, liveSessions(h.servers), mcpHandler)

	mux := http.NewServeMux()
	mux.Handle(Endpoint, h.track(mcpHandler))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	ready := newReadyCache(opts.Ready)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if opts.Ready != nil {
			if err := ready.ready(ctx); err != nil {
				log.Warn("readiness check failed", "error", err)
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	h.Handler = withDeadlines(h.timeouts, mux)
	if opts.OnResponse != nil {
		h.Handler = recordStatus(opts.OnResponse, h.Handler)
	}
	return h
}

// track counts requests that carry work (POST), so shutdown can let them finish.
func (h *Handler) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			h.inflight.start()
			defer h.inflight.done()
		}
		next.ServeHTTP(w, r)
	})
}

// Sessions is the number of live MCP sessions (for metrics).
func (h *Handler) Sessions() int {
	if h.sessions == nil {
		return 0
	}
	return h.sessions.live()
}

// Drain waits until in-flight POSTs finish (including any that arrive while
// it waits) or ctx ends, then closes every MCP session so that long-lived GET
// streams end too.
func (h *Handler) Drain(ctx context.Context) {
	h.drain(ctx, nil, slog.New(slog.DiscardHandler)) // past the grace period, sessions close regardless
}

// closeSession ends the MCP session with this id, whichever server holds it.
func (h *Handler) closeSession(id string) {
	for _, s := range h.servers {
		for ss := range s.Sessions() {
			if ss.ID() == id {
				_ = ss.Close()
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
