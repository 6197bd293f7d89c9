package mcpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// person answers elicitation requests as the test tells it, and keeps the questions.
type person struct {
	mu        sync.Mutex
	questions []string
	answer    func() (*mcp.ElicitResult, error)
}

func (p *person) handle(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	p.mu.Lock()
	p.questions = append(p.questions, req.Params.Message)
	p.mu.Unlock()
	return p.answer()
}

func (p *person) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.questions...)
}

func approve() (*mcp.ElicitResult, error) {
	return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
}

func decline() (*mcp.ElicitResult, error) { return &mcp.ElicitResult{Action: "decline"}, nil }

// consentEnv is a fixture whose client answers elicitation through p (nil: a
// client without the capability), with an audit file.
func consentEnv(t *testing.T, mode string, p *person, adjust func(*mcpserver.Options)) (*testenv.Env, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	opts := testenv.Options{Server: func(o *mcpserver.Options) {
		o.ConfirmDestructive, o.Audit, o.VCenter = mode, log, "vc.test"
		if adjust != nil {
			adjust(o)
		}
	}}
	if p != nil {
		opts.ClientOptions = &mcp.ClientOptions{ElicitationHandler: p.handle}
	}
	return testenv.New(t, opts), path
}

// auditLines reads the audit file: one JSON object per line, or the test fails.
func auditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %d is not a JSON object: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// field reads a nested string field of an audit line ("target.id").
func field(m map[string]any, path ...string) string {
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
