package httpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

var testKeys = map[string]apikeys.Entry{
	"reader":   {Name: "reader", Key: "reader-secret-key-1", Role: "read"},
	"operator": {Name: "operator", Key: "operator-secret-key-1", Role: "operate"},
	"admin":    {Name: "admin", Key: "admin-secret-key-1", Role: "admin"},
}

// stack is the whole server over HTTP: simulator, one MCP server per role,
// keys, consent and an audit file.
type stack struct {
	env   *testenv.Env
	url   string
	audit string
}

func newStack(t *testing.T, consentTimeout time.Duration) *stack {
	t.Helper()
	e := testenv.New(t, testenv.Options{})
	path := filepath.Join(t.TempDir(), "logs", "audit.jsonl")
	log, err := audit.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	byRole := map[apikeys.Role]*mcp.Server{}
	for _, role := range apikeys.Roles() {
		s, err := mcpserver.New(e.VS, mcpserver.Options{
			Version: "test", Role: role, ConfirmDestructive: mcpserver.ConfirmAuto, ConsentTimeout: consentTimeout,
			Audit: log, VCenter: "vc.test", Caller: "anonymous",
		})
		if err != nil {
			t.Fatal(err)
		}
		byRole[role] = s
	}
	var entries []apikeys.Entry
	for _, e := range testKeys {
		entries = append(entries, e)
	}
	set, err := apikeys.Build(entries)
	if err != nil {
		t.Fatal(err)
	}
	h := httpserver.NewHandler(byRole[apikeys.RoleAdmin], httpserver.Options{Keys: httpserver.NewKeys(set), RoleServers: byRole})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &stack{env: e, url: ts.URL + httpserver.Endpoint, audit: path}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens a session with a key; elicit, when set, answers consent questions.
func (s *stack) connect(t *testing.T, key string, elicit func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error)) *mcp.ClientSession {
	t.Helper()
	var opts *mcp.ClientOptions
	if elicit != nil {
		opts = &mcp.ClientOptions{ElicitationHandler: elicit}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "safety-e2e", Version: "9.9"}, opts).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: s.url, HTTPClient: &http.Client{Transport: bearer(testKeys[key].Key)}}, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", key, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func (s *stack) lines(t *testing.T) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{s.env.Sim.Password, testKeys["reader"].Key, testKeys["operator"].Key, testKeys["admin"].Key} {
		if secret != "" && strings.Contains(string(b), secret) {
			t.Errorf("the audit file holds a secret (%d chars)", len(secret))
		}
	}
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %d is not one JSON object: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func (s *stack) powerState(t *testing.T, name string) string {
	t.Helper()
	for _, vm := range s.env.VMs(t, "name", "runtime.powerState") {
		if vm.Name == name {
			return string(vm.Runtime.PowerState)
		}
	}
	t.Fatalf("no VM %s", name)
	return ""
}

func (s *stack) vm(t *testing.T, name string) mo.VirtualMachine {
	t.Helper()
	for _, vm := range s.env.VMs(t, "name") {
		if vm.Name == name {
			return vm
		}
	}
	t.Fatalf("no VM %s", name)
	return mo.VirtualMachine{}
}

func text(res *mcp.CallToolResult) string { return testenv.Text(res) }

// TestConsentOverHTTP: over Streamable HTTP (protocol 2025-11-25, where the
// server asks during the call) a destructive tool waits for the person:
// accept proceeds; decline, cancel and no answer leave the VM as it was.
func TestConsentOverHTTP(t *testing.T) {
	const vmName = "DC0_H0_VM0"
	tests := []struct {
		name    string
		answer  func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error)
		changed bool
		words   string
	}{
		{"accept", func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}, true, ""},
		{"decline", func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "decline"}, nil
		}, false, "the user declined"},
		{"cancel", func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "cancel"}, nil
		}, false, "cancelled"},
		{"no answer", nil, false, "the user declined (no answer within 2s)"}, // the person walked away
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, 2*time.Second)
			asked := make(chan string, 2)
			away := make(chan struct{})
			cs := s.connect(t, "admin", func(ctx context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				asked <- r.Params.Message
				if tt.answer == nil {
					// No answer until the test ends (the server's cancellation
					// may or may not reach the handler first).
					select {
					case <-ctx.Done():
					case <-away:
					}
					return nil, context.Canceled
				}
				return tt.answer(ctx, r)
			})
			t.Cleanup(func() { close(away) }) // runs before the session closes
			if v := cs.InitializeResult().ProtocolVersion; v >= "2026-07-28" {
				t.Fatalf("protocol %s: this test is about the inline path", v)
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "power_off_vm", Arguments: map[string]any{"name": vmName}})
			if err != nil {
				t.Fatal(err)
			}
			if len(asked) != 1 {
				t.Fatalf("%d questions, want 1", len(asked))
			}
			if q := <-asked; !strings.Contains(q, s.vm(t, vmName).Self.Value) || !strings.Contains(q, "poweredOn") {
				t.Errorf("question %q lacks the VM id or state", q)
			}
			state := s.powerState(t, vmName)
			if tt.changed != (state == "poweredOff") || tt.changed == res.IsError {
				t.Fatalf("VM %s, answer %s", state, text(res))
			}
			if !tt.changed && !strings.Contains(text(res), tt.words) {
				t.Errorf("refusal %q does not say %q", text(res), tt.words)
			}
			lines := s.lines(t)
			want := map[bool]string{true: "ok", false: "declined"}[tt.changed]
			if len(lines) != 2 || lines[0]["event"] != "consent" || lines[1]["outcome"] != want ||
				lines[1]["key"] != "admin" || lines[1]["session"] != cs.ID() || lines[1]["tool"] != "power_off_vm" {
				t.Errorf("audit: %v", lines)
			}
		})
	}
}

// TestAuditUnderConcurrentCallers: 20 clients with three keys call at once;
// the audit file has exactly one well-formed line per audited call, with the
// right key, session, client, tool, target and outcome; read-only calls and
// refused reads are audited as the issue says (refusals yes, reads no).
func TestAuditUnderConcurrentCallers(t *testing.T) {
	t.Parallel()
	s := newStack(t, time.Minute)
	vms := []string{"DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"}
	type caller struct {
		key, tool, outcome string
	}
	var callers []caller
	for i := range 20 {
		switch {
		case i < 10:
			callers = append(callers, caller{"operator", "power_on_vm", "ok"})
		case i < 15:
			callers = append(callers, caller{"reader", "power_on_vm", "denied"})
		default:
			callers = append(callers, caller{"admin", "power_on_vm", "ok"})
		}
	}
	sessions := make([]string, len(callers))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range callers {
		cs := s.connect(t, c.key, nil)
		sessions[i] = cs.ID()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// A read that is not audited, then the audited call.
			if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_vms", Arguments: map[string]any{}}); err != nil {
				t.Errorf("list_vms as %s: %v", c.key, err)
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: c.tool, Arguments: map[string]any{"name": vms[i%len(vms)]}})
			if c.outcome == "denied" {
				if err == nil || !strings.Contains(err.Error(), "unknown tool") {
					t.Errorf("%s calling %s: %v, want unknown tool", c.key, c.tool, err)
				}
				return
			}
			if err != nil || res.IsError {
				t.Errorf("%s calling %s: %v %v", c.key, c.tool, err, res)
			}
		}()
	}
	close(start)
	wg.Wait()

	lines := s.lines(t)
	var got, want []string
	for i, c := range callers {
		want = append(want, fmt.Sprintf("%s %s %s %s %s", c.key, sessions[i], c.tool, vms[i%len(vms)], c.outcome))
	}
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", l["key"], l["session"], l["tool"], fieldOf(l, "target", "name"), l["outcome"]))
		ts, _ := l["time"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") || len(ts) != len("2006-01-02T15:04:05.000Z") {
			t.Errorf("time %q is not UTC RFC 3339 with milliseconds", ts)
		}
		if fieldOf(l, "client", "name") != "safety-e2e" || fieldOf(l, "client", "version") != "9.9" || l["vcenter"] != "vc.test" || l["event"] != "call" {
			t.Errorf("line lacks client, vcenter or event: %v", l)
		}
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("line lacks duration_ms: %v", l)
		}
		if l["outcome"] == "ok" && (fieldOf(l, "target", "id") == "" || fieldOf(l, "target", "path") == "") {
			t.Errorf("ok line without the VM's id and path: %v", l)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func fieldOf(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}
