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
}

// Handler is the whole HTTP surface. Close ends every MCP session, which ends
// their long-lived streams.
type Handler struct {
	http.Handler
	server   *mcp.Server
	inflight *inflight
}

// NewHandler mounts the MCP server at /message plus /healthz and /readyz.
func NewHandler(server *mcp.Server, opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.SessionTimeout
	if timeout == 0 {
		timeout = 30 * time.Minute
	}
	h := &Handler{server: server, inflight: newInflight()}
	// One server, one MCP session per client (the handler keys them by
	// Mcp-Session-Id). DNS-rebinding protection stays on (the default).
	var mcpHandler http.Handler = mcp.NewStreamableHTTPHandler(
		func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{SessionTimeout: timeout, Logger: log},
	)
	// Browsers send Origin / Sec-Fetch-Site: refuse cross-origin writes.
	mcpHandler = http.NewCrossOriginProtection().Handler(mcpHandler)
	if opts.APIKey != "" {
		mcpHandler = requireAPIKey(opts.APIKey, mcpHandler)
	}

	mux := http.NewServeMux()
	mux.Handle(Endpoint, h.track(mcpHandler))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if opts.Ready != nil {
			if err := opts.Ready(ctx); err != nil {
				log.Warn("readiness check failed", "error", err)
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	h.Handler = mux
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

// Drain waits until in-flight POSTs finish (including any that arrive while
// it waits) or ctx ends, then closes every MCP session so that long-lived GET
// streams end too.
func (h *Handler) Drain(ctx context.Context) {
	h.drain(ctx, nil, slog.New(slog.DiscardHandler)) // past the grace period, sessions close regardless
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
