package mcpserver_test

import (
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestDay2Annotations: the day-2 tools are classified as the issue says; the
// read-only and no-destructive modes, and consent, follow from these alone.
func TestDay2Annotations(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"list_snapshots": "read-only", "create_snapshot": "write", "revert_snapshot": "destructive", "delete_snapshot": "destructive",
		"reconfigure_vm": "write", "migrate_vm": "write, idempotent", "convert_to_template": "write, idempotent", "convert_to_vm": "write, idempotent",
	}
	for _, tool := range listTools(t, testenv.New(t, testenv.Options{})) {
		if w, ok := want[tool.Name]; ok {
			if got := kind(tool.Annotations); got != w {
				t.Errorf("%s is %s, want %s", tool.Name, got, w)
			}
			delete(want, tool.Name)
		}
	}
	for name := range want {
		t.Errorf("tool %s is not listed", name)
	}
	hidden := listTools(t, testenv.New(t, testenv.Options{DisableDestructive: true}))
	for _, tool := range hidden {
		if tool.Name == "revert_snapshot" || tool.Name == "delete_snapshot" {
			t.Errorf("%s is listed with disable_destructive", tool.Name)
		}
	}
}
