package mcpserver

import (
	"errors"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
)

// TestOutcomeOf: the audit outcome, target and task come from the result
// generically: structuredContent vm, task_id or task, and state "running".
func TestOutcomeOf(t *testing.T) {
	vm := map[string]any{"id": "vm-82", "name": "web-01", "path": "/DC0/vm/web-01"}
	tests := []struct {
		name    string
		rec     callRecord
		res     *mcp.CallToolResult
		err     error
		outcome string
		task    string
		target  string
	}{
		{"ok with task", callRecord{}, &mcp.CallToolResult{StructuredContent: map[string]any{"vm": vm, "task": "task-7"}}, nil, "ok", "task-7", "vm-82"},
		{"still running", callRecord{}, &mcp.CallToolResult{StructuredContent: map[string]any{"vm": vm, "task_id": "task-9", "state": "running"}}, nil, "started", "task-9", "vm-82"},
		{"task_id wins over task", callRecord{}, &mcp.CallToolResult{StructuredContent: map[string]any{"task_id": "task-9", "task": map[string]any{"id": "x"}}}, nil, "ok", "task-9", ""},
		{"tool error", callRecord{}, &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "boom"}}}, nil, "error", "", ""},
		{"protocol error", callRecord{}, nil, errors.New("bad"), "error", "", ""},
		{"declined by the gate", callRecord{outcome: audit.OutcomeDeclined}, &mcp.CallToolResult{IsError: true}, nil, "declined", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := audit.Event{}
			outcomeOf(&e, &tt.rec, tt.res, tt.err)
			id := ""
			if e.Target != nil {
				id = e.Target.ID
			}
			if e.Outcome != tt.outcome || e.TaskID != tt.task || id != tt.target {
				t.Errorf("outcome %q task %q target %q, want %q %q %q", e.Outcome, e.TaskID, id, tt.outcome, tt.task, tt.target)
			}
		})
	}
}
