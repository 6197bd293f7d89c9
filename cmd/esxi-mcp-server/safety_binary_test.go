package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// waitFor waits until the process's stderr contains s (a bound against a hung
// test, not a timing assertion).
func (p *proc) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr never said %q:\n%s", s, p.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIGHUPReloadsKeysAndReopensAudit: the built binary with api_keys and
// an audit file. SIGHUP after the config changed: the removed key is refused
// from its next request on, the session of a key that stayed goes on, a new
// key works, and the audit file is reopened at its path (after rotation).
func TestSIGHUPReloadsKeysAndReopensAudit(t *testing.T) {
	tmp, env := isolatedTmp(t)
	dir := t.TempDir()
	cfgPath, auditPath := filepath.Join(dir, "config.json"), filepath.Join(dir, "audit", "audit.jsonl")
	keyOld, keyStay, keyNew := "old-admin-key-2f9a", "stay-read-key-77c1", "new-admin-key-0b3e"
	writeConfig(t, cfgPath, map[string]any{
		"audit_log": auditPath,
		"api_keys": []map[string]any{
			{"name": "old-admin", "key": keyOld, "role": "admin"},
			{"name": "stay-reader", "key": keyStay, "role": "read"},
		},
	})
	p, url := startHTTP(t, env, "--simulator", "--listen", "127.0.0.1:0", "-c", cfgPath)
	client := func(key string) *http.Client {
		return &http.Client{Transport: headerTransport{map[string]string{"Authorization": "Bearer " + key}, http.DefaultTransport}}
	}
	old, stay := connectHTTP(t, url, client(keyOld)), connectHTTP(t, url, client(keyStay))
	ctx := context.Background()
	vm := listVMs(t, stay).VMs[0].Name
	if res, err := old.CallTool(ctx, &mcp.CallToolParams{Name: "power_on_vm", Arguments: map[string]any{"name": vm}}); err != nil || res.IsError {
		t.Fatalf("power_on_vm with the old key: %v %v", err, res)
	}
	if err := os.Rename(auditPath, auditPath+".1"); err != nil {
		t.Fatal(err)
	}

	writeConfig(t, cfgPath, map[string]any{
		"audit_log": auditPath,
		"api_keys": []map[string]any{
			{"name": "stay-reader", "key": keyStay, "role": "read"},
			{"name": "new-admin", "key": keyNew, "role": "admin"},
		},
	})
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "reloaded the API keys")

	if _, err := old.CallTool(ctx, &mcp.CallToolParams{Name: "list_vms", Arguments: map[string]any{}}); err == nil {
		t.Error("the removed key still works after SIGHUP")
	}
	if code := connectAttempt(url, "Bearer "+keyOld); code != http.StatusUnauthorized {
		t.Errorf("new session with the removed key: %d, want 401", code)
	}
	listVMs(t, stay) // the kept key's session goes on
	fresh := connectHTTP(t, url, client(keyNew))
	if res, err := fresh.CallTool(ctx, &mcp.CallToolParams{Name: "power_on_vm", Arguments: map[string]any{"name": vm}}); err != nil || res.IsError {
		t.Fatalf("power_on_vm with the new key: %v %v", err, res)
	}

	rotated, err := os.ReadFile(auditPath + ".1")
	if err != nil {
		t.Fatal(err)
	}
	current, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatalf("the audit file was not reopened at its path: %v", err)
	}
	if strings.Count(string(rotated), "\n") != 1 || !strings.Contains(string(rotated), `"key":"old-admin"`) {
		t.Errorf("rotated audit file:\n%s", rotated)
	}
	if strings.Count(string(current), "\n") != 1 || !strings.Contains(string(current), `"key":"new-admin"`) {
		t.Errorf("reopened audit file:\n%s", current)
	}
	if !strings.Contains(p.stderr(), `msg=audit tool=power_on_vm`) && !strings.Contains(p.stderr(), `msg=audit event=call tool=power_on_vm`) {
		t.Errorf("no INFO line for the mutating call:\n%s", p.stderr())
	}
	all := p.stderr() + string(rotated) + string(current)
	for _, key := range []string{keyOld, keyStay, keyNew} {
		if strings.Contains(all, key) {
			t.Errorf("a key appears in the log or the audit file")
		}
	}
	assertCleanExit(t, p.stop(t, syscall.SIGTERM), p)
	assertEmptyDir(t, tmp)
}

// TestUnwritableAuditLogStopsStart: an audit file that cannot be opened
// stops the server at start with one line naming it.
func TestUnwritableAuditLogStopsStart(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--simulator", "--transport", "stdio")
	cmd.Env = append(os.Environ(), "MCP_AUDIT_LOG="+filepath.Join(blocker, "audit.jsonl"))
	cmd.Stdin = strings.NewReader("")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, stderr.String())
	}
	last := strings.TrimSpace(stderr.String())
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	if !strings.HasPrefix(last, "esxi-mcp-server: ") || !strings.Contains(last, "audit_log") {
		t.Errorf("last line %q does not name audit_log", last)
	}
}

// TestStdioConsent: over stdio through the built binary, with
// confirm_destructive always and an audit file: a declined power off leaves
// the VM on (read in vSphere directly), an approved one powers it off, and
// the audit file says so under the key name "stdio".
func TestStdioConsent(t *testing.T) {
	sim := startSimulator(t)
	vc, err := sim.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, auditPath := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "audit.jsonl")
	writeConfig(t, cfg, map[string]any{
		"vcenter_host": sim.URL.Host, "vcenter_user": sim.User, "vcenter_password": sim.Password, "ca_file": sim.CAFile,
		"confirm_destructive": "always", "audit_log": auditPath,
	})
	answers := []string{"decline", "accept"}
	var questions []string
	c := mcp.NewClient(&mcp.Implementation{Name: "stdio-consent", Version: "2"}, &mcp.ClientOptions{
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			questions = append(questions, r.Params.Message)
			a := answers[0]
			answers = answers[1:]
			if a == "accept" {
				return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
			}
			return &mcp.ElicitResult{Action: a}, nil
		},
	})
	var stderr lockedBuffer // the process writes it while the test reads it
	cmd := exec.Command(bin, "-c", cfg, "--transport", "stdio")
	cmd.Stderr = &stderr
	cs, err := c.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() { _ = cs.Close() })

	const vm = "DC0_H0_VM0"
	wantPower(t, vc, vm, "poweredOn")
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "power_off_vm", Arguments: map[string]any{"name": vm}})
	if err != nil || !res.IsError {
		t.Fatalf("declined power off: %v %v", err, res)
	}
	wantPower(t, vc, vm, "poweredOn")
	call(t, cs, "power_off_vm", map[string]any{"name": vm})
	wantPower(t, vc, vm, "poweredOff")
	if len(questions) != 2 || !strings.Contains(questions[0], vm) {
		t.Errorf("questions: %q", questions)
	}

	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if m["key"] != "stdio" || m["client"].(map[string]any)["name"] != "stdio-consent" {
			t.Errorf("audit line %v: want key stdio and the client's name", m)
		}
		outcomes = append(outcomes, m["event"].(string)+":"+m["outcome"].(string))
	}
	if got := strings.Join(outcomes, " "); got != "consent:asked call:declined consent:asked call:ok" {
		t.Errorf("audit outcomes %q", got)
	}
	if strings.Contains(string(b), sim.Password) || strings.Contains(stderr.String(), sim.Password) {
		t.Error("the vCenter password reached the audit file or the log")
	}
}

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
