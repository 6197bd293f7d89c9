package mcpserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestVMStatsResourceSuggestsSimilarNames: a mistyped VM in vmstats:// is
// answered like the tool answers it, with the similar names, and keeps the
// protocol's resource-not-found code.
func TestVMStatsResourceSuggestsSimilarNames(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	tool := testenv.CallErr(t, e, "get_vm_stats", map[string]any{"name": "DC0_H0_VM"})
	_, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "vmstats://DC0_H0_VM"})
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		t.Fatalf("read of an unknown VM: %v, want a JSON-RPC error", err)
	}
	if werr.Code != mcp.CodeResourceNotFound {
		t.Errorf("code %d, want %d", werr.Code, mcp.CodeResourceNotFound)
	}
	for _, msg := range []string{tool, werr.Message} {
		if !strings.Contains(msg, "similar names: ") || !strings.Contains(msg, "DC0_H0_VM0") {
			t.Errorf("no similar names in %q", msg)
		}
	}
}
