package mcpserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestSchemasHaveNoNullableArrays: no tool schema types a property
// ["null","array"] (strict clients warn on each), and answers never hold
// null where the schema says array.
func TestSchemasHaveNoNullableArrays(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	res, err := e.Client.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		for what, schema := range map[string]any{"input": tool.InputSchema, "output": tool.OutputSchema} {
			b, _ := json.Marshal(schema)
			if strings.Contains(string(b), `["null","array"]`) || strings.Contains(string(b), `["array","null"]`) {
				t.Errorf("%s schema of %s has a nullable array: %s", what, tool.Name, b)
			}
		}
	}
	// A filter that matches nothing: the list is [], not null.
	out := e.Call(t, "list_vms", map[string]any{"name": "no-vm-matches-this"})
	b, _ := json.Marshal(out.StructuredContent)
	if strings.Contains(string(b), "null") || !strings.Contains(string(b), "[]") {
		t.Errorf("empty list_vms answer: %s", b)
	}
}

// TestArgumentErrorsInWords: schema violations are said in words, naming the
// argument, the bound and its unit, not the validator's JSON pointer.
func TestArgumentErrorsInWords(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	tests := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"above maximum", "create_vm", map[string]any{"name": "x", "cpu": 1, "memory": 8000000}, "memory must be at most 6291456 (MB), got 8000000"},
		{"below minimum", "create_vm", map[string]any{"name": "x", "cpu": 0, "memory": 512}, "cpu must be at least 1, got 0"},
		{"not a multiple", "create_vm", map[string]any{"name": "x", "cpu": 1, "memory": 1022}, "memory must be a multiple of 4 (MB), got 1022"},
		{"wrong type", "create_vm", map[string]any{"name": "x", "cpu": "two", "memory": 512}, `cpu must be an integer, got the string "two"`},
		{"fraction for integer", "create_vm", map[string]any{"name": "x", "cpu": 1.5, "memory": 512}, "cpu must be an integer, got the number 1.5"},
		{"missing", "create_vm", map[string]any{"name": "x", "cpu": 1}, "missing required argument memory (memory in MB"},
		{"unknown", "create_vm", map[string]any{"name": "x", "cpu": 1, "memory": 512, "ram": 4}, `unknown argument "ram" (this tool takes: `},
		{"too long", "create_vm", map[string]any{"name": strings.Repeat("x", 81), "cpu": 1, "memory": 512}, "name must be at most 80 characters long, got 81"},
		{"pattern", "create_vm", map[string]any{"name": "a/b", "cpu": 1, "memory": 512}, `name "a/b" is not valid: name of the new VM`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := testenv.CallErr(t, e, tt.tool, tt.args)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q lacks %q", msg, tt.want)
			}
			if strings.Contains(msg, "/properties/") || strings.Contains(msg, "validating") {
				t.Errorf("error %q still has the validator's words", msg)
			}
		})
	}
	// Defaults still apply, and the call still works.
	res := e.Call(t, "list_vms", map[string]any{})
	if res.IsError {
		t.Fatalf("list_vms without arguments: %v", res.Content)
	}
}
