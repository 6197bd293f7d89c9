package httpserver

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// sessionHeader is the Streamable HTTP session id header.
const sessionHeader = "Mcp-Session-Id"

// Keys is the set of API keys the HTTP surface accepts, replaceable at run
// time (SIGHUP), and the key each MCP session belongs to. A session may be
// driven only with the key that created it: another key gets 404 as for an
// unknown session, and so does its own key once its role has changed.
type Keys struct {
	set atomic.Pointer[apikeys.Set]

	mu        sync.Mutex
	owners    map[string]apikeys.Key // by MCP session id
	nextPrune int
	// closeSession ends an MCP session whose key was removed or changed role
	// (set by the Handler), so its open streams end too.
	closeSession func(id string)
}

// NewKeys holds set; an empty or nil set means no authentication.
func NewKeys(set *apikeys.Set) *Keys {
	k := &Keys{owners: map[string]apikeys.Key{}, nextPrune: 64}
	k.Replace(set)
	return k
}

// Replace swaps in a new set: requests with a removed key are refused from
// the next one on, and its sessions are closed (with their open streams), as
// are those of a key whose role changed; sessions of keys that remain keep working.
func (k *Keys) Replace(set *apikeys.Set) {
	if set == nil {
		set = &apikeys.Set{}
	}
	k.set.Store(set)
	k.mu.Lock()
	var dropped []string
	for id, owner := range k.owners {
		if now, ok := set.Lookup(owner.Name); !ok || now != owner {
			dropped = append(dropped, id)
			delete(k.owners, id)
		}
	}
	closeSession := k.closeSession
	k.mu.Unlock()
	if closeSession != nil {
		for _, id := range dropped {
			closeSession(id)
		}
	}
}

// Set returns the keys in force.
func (k *Keys) Set() *apikeys.Set { return k.set.Load() }

func (k *Keys) required() bool { return k.set.Load().Len() > 0 }

// authenticate finds the key a request presents as "Authorization: Bearer
// KEY" or "X-API-Key: KEY"; with no keys configured every request passes as
// an anonymous admin.
func (k *Keys) authenticate(r *http.Request) (apikeys.Key, bool) {
	set := k.set.Load()
	if set.Len() == 0 {
		return apikeys.Key{Role: apikeys.RoleAdmin}, true
	}
	var found apikeys.Key
	ok := false
	for _, p := range presentedKeys(r) {
		if key, match := set.Match(p); match && !ok {
			found, ok = key, true
		}
	}
	return found, ok
}

// presentedKeys lists every candidate key in the request's headers (header
// names are case-insensitive; the Bearer scheme too).
func presentedKeys(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("X-API-Key") {
		out = append(out, strings.TrimSpace(v))
	}
	for _, v := range r.Header.Values("Authorization") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			out = append(out, strings.TrimSpace(token))
		}
	}
	return out
}

// serve passes an authenticated request on: it refuses a session that
// belongs to another key, tells the MCP layer the key's name (never the key)
// and records the owner of a session the request creates.
func (k *Keys) serve(w http.ResponseWriter, r *http.Request, key apikeys.Key, live func() map[string]bool, next http.Handler) {
	r.Header.Del(apikeys.NameHeader) // only this layer may say who the caller is
	if key.Name != "" {
		r.Header.Set(apikeys.NameHeader, key.Name)
	}
	r = r.WithContext(apikeys.NewContext(r.Context(), key))
	if sid := r.Header.Get(sessionHeader); sid != "" {
		if !k.owns(sid, key) {
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
		if r.Method == http.MethodDelete {
			k.forget(sid)
		}
		return
	}
	next.ServeHTTP(&sessionRecorder{ResponseWriter: w, record: func(sid string) { k.record(sid, key, live) }}, r)
}

// owns reports whether key may use session sid. A session this layer did not
// see created (or has dropped after a reload and closed) is left to the MCP
// handler, which answers 404 for unknown ids.
func (k *Keys) owns(sid string, key apikeys.Key) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	owner, known := k.owners[sid]
	return !known || owner == key
}

func (k *Keys) forget(sid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.owners, sid)
}

// record notes the owner of a new session, and now and then forgets the
// sessions that have ended (closed by timeout or by the client).
func (k *Keys) record(sid string, key apikeys.Key, live func() map[string]bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.owners[sid] = key
	if len(k.owners) < k.nextPrune || live == nil {
		return
	}
	alive := live()
	for id := range k.owners {
		if id != sid && !alive[id] {
			delete(k.owners, id)
		}
	}
	k.nextPrune = 2*len(k.owners) + 64
}

// liveSessions lists the ids of the servers' open sessions.
func liveSessions(servers []*mcp.Server) func() map[string]bool {
	return func() map[string]bool {
		ids := map[string]bool{}
		for _, s := range servers {
			for ss := range s.Sessions() {
				ids[ss.ID()] = true
			}
		}
		return ids
	}
}

// sessionRecorder sees the session id the MCP handler assigns when it writes
// the response head.
type sessionRecorder struct {
	http.ResponseWriter
	record func(string)
	done   bool
}

func (s *sessionRecorder) WriteHeader(code int) {
	s.capture(code)
	s.ResponseWriter.WriteHeader(code)
}

func (s *sessionRecorder) Write(b []byte) (int, error) {
	s.capture(http.StatusOK)
	return s.ResponseWriter.Write(b)
}

func (s *sessionRecorder) capture(code int) {
	if s.done {
		return
	}
	s.done = true
	if sid := s.Header().Get(sessionHeader); sid != "" && code < 300 {
		s.record(sid)
	}
}

func (s *sessionRecorder) Flush() {
	s.capture(http.StatusOK)
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *sessionRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// defaultKeySet is the single api_key as an admin key named "default".
func defaultKeySet(key string) *apikeys.Set {
	if key == "" {
		return &apikeys.Set{}
	}
	set, err := apikeys.Build([]apikeys.Entry{{Name: apikeys.DefaultName, Key: key, Role: string(apikeys.RoleAdmin)}})
	if err != nil {
		// A key that is only white space: fail closed with a key no one holds.
		set, _ = apikeys.Build([]apikeys.Entry{{Name: apikeys.DefaultName, KeySHA256: strings.Repeat("0", 64), Role: string(apikeys.RoleAdmin)}})
	}
	return set
}

// serverFor picks the server of the authenticated key's role; without role
// servers, the one server. A role without a server gets none (the MCP
// handler then refuses the request) rather than another role's tools.
func serverFor(r *http.Request, only *mcp.Server, byRole map[apikeys.Role]*mcp.Server) *mcp.Server {
	if len(byRole) == 0 {
		return only
	}
	key, _ := apikeys.FromContext(r.Context())
	return byRole[key.Role]
}

func (k *Keys) setCloser(f func(id string)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closeSession = f
}
