package mcpserver

import (
	"context"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// lifecycleTools are the VM lifecycle tools (get, create, clone, delete, power).
func (h *handlers) lifecycleTools() ([]toolDef, error) {
	var defs []toolDef
	for _, define := range []func() (toolDef, error){
		h.getVMTool,
		h.createVMTool,
		h.cloneVMTool,
		h.deleteVMTool,
		h.powerOnVMTool,
		h.powerOffVMTool,
		h.restartVMTool,
		h.suspendVMTool,
	} {
		d, err := define()
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// progressFor turns vSphere task progress into MCP progress notifications
// when the client sent a progress token; otherwise it returns nil.
func progressFor(ctx context.Context, req *mcp.CallToolRequest) vsphere.Progress {
	if req == nil || req.Session == nil || req.Params == nil {
		return nil
	}
	token := req.Params.GetProgressToken()
	if token == nil {
		return nil
	}
	return func(percent float64, message string) {
		// A client that went away cannot be told; the operation goes on regardless.
		_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
			ProgressToken: token, Progress: percent, Total: 100, Message: message,
		})
	}
}

// answer is a tool result that says first, in one sentence, what happened,
// then gives the structured output as JSON text for clients that only read text.
func answer(message string, out any) *mcp.CallToolResult {
	b, err := json.Marshal(out)
	if err != nil {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: message}}}
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: message}, &mcp.TextContent{Text: string(b)}}}
}

// multipleOf requires a number property to be a multiple of m.
func (sh *shaper) multipleOf(name string, m float64) {
	sh.prop(name).MultipleOf = &m
}

// pattern requires a string property to match a regular expression.
func (sh *shaper) pattern(name, re string) {
	sh.prop(name).Pattern = re
}

// newNamePattern is vsphere.ValidateVMName's rule where a portable JSON
// Schema pattern can say it: no /, \, % or ASCII control character, and no
// whitespace at either end. The domain check is the full rule (it also
// refuses "." and "..", and every Unicode control character).
const newNamePattern = `^[^\s/\\%\x00-\x1f\x7f](?:[^/\\%\x00-\x1f\x7f]*[^\s/\\%\x00-\x1f\x7f])?$`

// vmName bounds a new VM's name in the schema as the domain does.
func (sh *shaper) vmName(name string) {
	sh.length(name, 1, vsphere.MaxNameLength)
	sh.pattern(name, newNamePattern)
}
