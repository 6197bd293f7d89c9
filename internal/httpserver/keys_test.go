package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

type whoIn struct{}

type whoOut struct {
	Server string `json:"server"`
	Key    string `json:"key"`
}

// roleServer is a server whose one tool says which server answered and
// which key name the MCP layer was told.
func roleServer(name string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "who_" + name, Description: "who answers"}, func(_ context.Context, req *mcp.CallToolRequest, _ whoIn) (*mcp.CallToolResult, whoOut, error) {
		return nil, whoOut{Server: name, Key: apikeys.NameFromHeader(req.GetExtra().Header)}, nil
	})
	return s
}

func keySet(t *testing.T, entries ...apikeys.Entry) *apikeys.Set {
	t.Helper()
	set, err := apikeys.Build(entries)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type keyFixture struct {
	url  string
	keys *Keys
}

func newKeyFixture(t *testing.T, set *apikeys.Set) *keyFixture {
	t.Helper()
	byRole := map[apikeys.Role]*mcp.Server{}
	for _, r := range apikeys.Roles() {
		byRole[r] = roleServer(string(r))
	}
	keys := NewKeys(set)
	h := NewHandler(byRole[apikeys.RoleAdmin], Options{Keys: keys, RoleServers: byRole})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &keyFixture{url: ts.URL + Endpoint, keys: keys}
}

// keyTransport sends a key, which the test may change between requests, and
// a spoofed key-name header the server must ignore.
type keyTransport struct{ key *string }

func (k keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+*k.key)
	r.Header.Set(apikeys.NameHeader, "spoofed")
	return http.DefaultTransport.RoundTrip(r)
}

func (f *keyFixture) connect(t *testing.T, key *string) *mcp.ClientSession {
	t.Helper()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: f.url, HTTPClient: &http.Client{Transport: keyTransport{key}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func tools(t *testing.T, cs *mcp.ClientSession) ([]string, error) {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names, nil
}

// rawRequest sends one request on a session with a given key; it returns the status.
func rawRequest(t *testing.T, url, method, key, session string) int {
	t.Helper()
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{}}`)
	} else {
		body = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestKeysSelectRoleServer: each key's session is served by its role's
// server, and the MCP layer is told the key's name, not what the client claims.
func TestKeysSelectRoleServer(t *testing.T) {
	f := newKeyFixture(t, keySet(t,
		apikeys.Entry{Name: "dash", Key: "read-key-1", Role: "read"},
		apikeys.Entry{Name: "ops", Key: "ops-key-1", Role: "operate"},
		apikeys.Entry{Name: "boss", Key: "admin-key-1", Role: "admin"},
	))
	for key, want := range map[string]whoOut{
		"read-key-1": {"read", "dash"}, "ops-key-1": {"operate", "ops"}, "admin-key-1": {"admin", "boss"},
	} {
		cs := f.connect(t, &key)
		names, err := tools(t, cs)
		if err != nil || !slices.Equal(names, []string{"who_" + want.Server}) {
			t.Errorf("key of %s: tools %v %v", want.Key, names, err)
			continue
		}
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "who_" + want.Server, Arguments: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		var got whoOut
		if err := remarshalJSON(res.StructuredContent, &got); err != nil || got != want {
			t.Errorf("key of %s: answered %+v %v, want %+v", want.Key, got, err, want)
		}
	}
}

// TestSessionBelongsToItsKey: another valid key on a session gets 404 for
// every method, as for an unknown session, and cannot end it; the owner goes on.
func TestSessionBelongsToItsKey(t *testing.T) {
	f := newKeyFixture(t, keySet(t,
		apikeys.Entry{Name: "a", Key: "key-a-1", Role: "admin"},
		apikeys.Entry{Name: "b", Key: "key-b-1", Role: "admin"},
	))
	keyA := "key-a-1"
	cs := f.connect(t, &keyA)
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		if code := rawRequest(t, f.url, method, "key-b-1", cs.ID()); code != http.StatusNotFound {
			t.Errorf("%s with another key: %d, want 404", method, code)
		}
	}
	if code := rawRequest(t, f.url, http.MethodPost, "key-b-1", "no-such-session"); code != http.StatusNotFound {
		t.Errorf("unknown session: %d, want 404", code)
	}
	if _, err := tools(t, cs); err != nil {
		t.Fatalf("the owner lost its session: %v", err)
	}
	if code := rawRequest(t, f.url, http.MethodPost, "key-a-1", cs.ID()); code != http.StatusOK {
		t.Errorf("owner's raw request: %d, want 200", code)
	}
}

// TestReplaceKeys: after a reload a removed key is refused from its next
// request on, a key whose role changed loses its session (404: start a new
// one), and sessions of unchanged keys go on.
func TestReplaceKeys(t *testing.T) {
	keep := apikeys.Entry{Name: "keep", Key: "keep-key-1", Role: "read"}
	gone := apikeys.Entry{Name: "gone", Key: "gone-key-1", Role: "admin"}
	moved := apikeys.Entry{Name: "moved", Key: "moved-key-1", Role: "admin"}
	f := newKeyFixture(t, keySet(t, keep, gone, moved))
	kk, gk, mk := keep.Key, gone.Key, moved.Key
	keepS, goneS, movedS := f.connect(t, &kk), f.connect(t, &gk), f.connect(t, &mk)

	moved.Role = "read"
	f.keys.Replace(keySet(t, keep, moved))

	if _, err := tools(t, keepS); err != nil {
		t.Errorf("unchanged key lost its session: %v", err)
	}
	if code := rawRequest(t, f.url, http.MethodPost, gone.Key, goneS.ID()); code != http.StatusUnauthorized {
		t.Errorf("removed key: %d, want 401", code)
	}
	if code := rawRequest(t, f.url, http.MethodPost, moved.Key, movedS.ID()); code != http.StatusNotFound {
		t.Errorf("key with a new role on its old session: %d, want 404", code)
	}
	names, err := tools(t, f.connect(t, &mk))
	if err != nil || !slices.Equal(names, []string{"who_read"}) {
		t.Errorf("new session of the moved key: %v %v, want the read tools", names, err)
	}
}

func remarshalJSON(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
