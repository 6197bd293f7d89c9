package httpserver

import (
	"net/http"
)

// requireAPIKey lets a request through only when it carries one of the keys
// as "Authorization: Bearer KEY" or "X-API-Key: KEY". Keys are compared in
// constant time (over their SHA-256, so the length does not leak either).
// A failure is answered with 401 and nothing of the request reaches next.
// With no keys configured every request passes.
func requireAPIKey(keys *Keys, live func() map[string]bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := keys.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", authChallenge)
			writeJSON(w, http.StatusUnauthorized, map[string]string{
				"error": "unauthorized: send the API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
			})
			return
		}
		keys.serve(w, r, key, live, next)
	})
}

// authChallenge names the error, so that MCP clients that see a Bearer
// challenge report the problem instead of starting an OAuth flow blindly.
const authChallenge = `Bearer realm="esxi-mcp-server", error="invalid_token", ` +
	`error_description="send the API key as Authorization: Bearer KEY or X-API-Key: KEY"`
