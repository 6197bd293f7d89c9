package mcpserver_test

import (
	"context"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestModes: read-only mode exposes only read-only tools, no-destructive mode
// hides destructive ones; a hidden tool is absent from tools/list and refused
// when called anyway, and the VM it names is untouched.
func TestModes(t *testing.T) {
	all := listTools(t, testenv.New(t, testenv.Options{}))
	kinds := map[string]*mcp.ToolAnnotations{}
	for _, tool := range all {
		kinds[tool.Name] = tool.Annotations
	}
	// The lifecycle tools must be classified as the spec says.
	for name, want := range map[string]string{
		"get_vm": "read-only", "create_vm": "write", "clone_vm": "write", "power_on_vm": "write, idempotent",
		"delete_vm": "destructive", "power_off_vm": "destructive, idempotent", "restart_vm": "destructive", "suspend_vm": "destructive, idempotent",
	} {
		if a := kinds[name]; a == nil || kind(a) != want {
			t.Errorf("%s is %v, want %s", name, a, want)
		}
	}

	cases := []struct {
		name    string
		opts    testenv.Options
		visible func(*mcp.ToolAnnotations) bool
	}{
		{"read_only", testenv.Options{ReadOnly: true}, func(a *mcp.ToolAnnotations) bool { return a.ReadOnlyHint }},
		{"disable_destructive", testenv.Options{DisableDestructive: true}, func(a *mcp.ToolAnnotations) bool {
			return a.ReadOnlyHint || !*a.DestructiveHint
		}},
		{"both", testenv.Options{ReadOnly: true, DisableDestructive: true}, func(a *mcp.ToolAnnotations) bool { return a.ReadOnlyHint }},
	}
	calls := map[string]map[string]any{
		"create_vm":    {"name": "mode-vm", "cpu": 1, "memory": 128},
		"clone_vm":     {"template_name": "DC0_C0_RP0_VM1", "new_name": "mode-clone"},
		"delete_vm":    {"name": "DC0_C0_RP0_VM1"},
		"power_on_vm":  {"name": "DC0_C0_RP0_VM1"},
		"power_off_vm": {"name": "DC0_C0_RP0_VM0"},
		"restart_vm":   {"name": "DC0_C0_RP0_VM0"},
		"suspend_vm":   {"name": "DC0_C0_RP0_VM0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testenv.New(t, c.opts)
			var listed []string
			for _, tool := range listTools(t, e) {
				listed = append(listed, tool.Name)
			}
			hidden := 0
			for _, tool := range all {
				want := c.visible(tool.Annotations)
				if got := slices.Contains(listed, tool.Name); got != want {
					t.Errorf("%s listed = %v, want %v", tool.Name, got, want)
				}
				args, ok := calls[tool.Name]
				if want || !ok {
					continue
				}
				hidden++
				before := inventory(t, e)
				res, err := e.Client.CallTool(context.Background(), &mcp.CallToolParams{Name: tool.Name, Arguments: args})
				if err == nil && !res.IsError {
					t.Errorf("hidden tool %s was executed: %s", tool.Name, testenv.Text(res))
				}
				if after := inventory(t, e); !slices.Equal(before, after) {
					t.Errorf("calling hidden %s changed the inventory", tool.Name)
				}
			}
			if hidden == 0 {
				t.Errorf("mode %s hid no lifecycle tool", c.name)
			}
		})
	}
}
