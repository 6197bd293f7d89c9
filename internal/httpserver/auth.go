package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireAPIKey lets a request through only when it carries the key as
// "Authorization: Bearer KEY" or "X-API-Key: KEY". Keys are compared in
// constant time (over their SHA-256, so the length does not leak either).
// A failure is answered with 401 and nothing of the request reaches next.
func requireAPIKey(key string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(key))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !presentedKeyMatches(r, want) {
			w.Header().Set("WWW-Authenticate", authChallenge)
			writeJSON(w, http.StatusUnauthorized, map[string]string{
				"error": "unauthorized: send the API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authChallenge names the error, so that MCP clients that see a Bearer
// challenge report the problem instead of starting an OAuth flow blindly.
const authChallenge = `Bearer realm="esxi-mcp-server", error="invalid_token", ` +
	`error_description="send the API key as Authorization: Bearer KEY or X-API-Key: KEY"`

func presentedKeyMatches(r *http.Request, want [32]byte) bool {
	match := 0
	// Header lookups are case-insensitive (canonicalised by net/http).
	for _, v := range r.Header.Values("X-API-Key") {
		match |= keyEquals(strings.TrimSpace(v), want)
	}
	for _, v := range r.Header.Values("Authorization") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			match |= keyEquals(strings.TrimSpace(token), want)
		}
	}
	return match == 1
}

func keyEquals(got string, want [32]byte) int {
	if got == "" {
		return 0
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], want[:])
}
