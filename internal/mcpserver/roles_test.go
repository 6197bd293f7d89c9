package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestRolesSeeAndCallTheirTools: each role lists exactly its tools (read:
// read-only; operate: also writes that destroy nothing; admin: all), the
// modes still apply on top, and a call to any other tool is refused as an
// unknown tool, audited as denied, with the VM untouched.
func TestRolesSeeAndCallTheirTools(t *testing.T) {
	all := listTools(t, testenv.New(t, testenv.Options{}))
	tests := []struct {
		role     apikeys.Role
		readOnly bool
		sees     func(*mcp.ToolAnnotations) bool
		must     []string // named, so a wrong annotation cannot move a tool silently
		mustNot  []string
	}{
		{apikeys.RoleRead, false, func(a *mcp.ToolAnnotations) bool { return a.ReadOnlyHint },
			[]string{"list_vms", "get_vm", "get_vm_stats"}, []string{"power_on_vm", "create_vm", "delete_vm"}},
		{apikeys.RoleOperate, false, func(a *mcp.ToolAnnotations) bool { return a.ReadOnlyHint || !*a.DestructiveHint },
			[]string{"list_vms", "create_vm", "clone_vm", "power_on_vm"}, []string{"delete_vm", "power_off_vm", "restart_vm", "suspend_vm"}},
		{apikeys.RoleAdmin, false, func(*mcp.ToolAnnotations) bool { return true },
			[]string{"delete_vm", "power_off_vm", "power_on_vm", "list_vms"}, nil},
		{apikeys.RoleOperate, true, func(a *mcp.ToolAnnotations) bool { return a.ReadOnlyHint },
			[]string{"list_vms"}, []string{"power_on_vm", "delete_vm"}},
	}
	for _, tt := range tests {
		name := string(tt.role)
		if tt.readOnly {
			name += "+read_only"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, auditPath := consentEnv(t, mcpserver.ConfirmNever, nil, func(o *mcpserver.Options) { o.Role, o.ReadOnly = tt.role, tt.readOnly })
			var listed, want []string
			for _, tool := range listTools(t, e) {
				listed = append(listed, tool.Name)
			}
			for _, tool := range all {
				if tt.sees(tool.Annotations) {
					want = append(want, tool.Name)
				}
			}
			if !slices.Equal(listed, want) {
				t.Errorf("tools/list = %v, want %v", listed, want)
			}
			for _, n := range tt.must {
				if !slices.Contains(listed, n) {
					t.Errorf("%s not listed", n)
				}
			}
			for _, n := range tt.mustNot {
				if slices.Contains(listed, n) {
					t.Errorf("%s listed", n)
				}
			}
			// Every tool outside the role is refused exactly like an unknown one.
			_, unknownErr := e.Client.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool", Arguments: map[string]any{}})
			denied := 0
			for _, tool := range all {
				if slices.Contains(listed, tool.Name) {
					continue
				}
				before := inventory(t, e)
				_, err := e.Client.CallTool(context.Background(), &mcp.CallToolParams{Name: tool.Name, Arguments: argumentsFor(t, tool)})
				if err == nil || unknownErr == nil || strings.ReplaceAll(err.Error(), tool.Name, "X") != strings.ReplaceAll(unknownErr.Error(), "no_such_tool", "X") {
					t.Errorf("calling %s: %v, want the unknown-tool error (%v)", tool.Name, err, unknownErr)
				}
				if after := inventory(t, e); !slices.Equal(before, after) {
					t.Errorf("calling %s changed the inventory", tool.Name)
				}
				denied++
			}
			lines := auditLines(t, auditPath)
			if len(lines) != denied {
				t.Fatalf("%d audit lines for %d refused calls", len(lines), denied)
			}
			for _, l := range lines {
				if l["outcome"] != "denied" || !strings.Contains(field(l, "error"), "is not allowed for role") && !strings.Contains(field(l, "error"), "read_only") {
					t.Errorf("audit line %v", l)
				}
			}
		})
	}
}
