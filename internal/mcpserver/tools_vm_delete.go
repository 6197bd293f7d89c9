package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type deleteVMInput struct {
	Name  string `json:"name" jsonschema:"the VM or template to delete: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	Force bool   `json:"force,omitempty" jsonschema:"power the VM off first when it is on or suspended (default false: such a VM is refused)"`
}

func (h *handlers) deleteVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "delete_vm",
		Title: "Delete a virtual machine",
		Description: "Permanently delete a VM (or template) and all its files, disks included, from the datastore. This cannot be undone: confirm the exact VM with the user first, " +
			"preferably naming it by inventory path or id. A VM that is powered on or suspended is refused unless force is true, which powers it off first. " +
			"The answer lists exactly what was removed.",
		Annotations: destructive(false),
	}, h.deleteVM, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) deleteVM(ctx context.Context, req *mcp.CallToolRequest, in deleteVMInput) (*mcp.CallToolResult, *vsphere.DeleteResult, error) {
	r, err := h.vs.DeleteVM(ctx, in.Name, in.Force, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	what := "VM"
	if r.Template {
		what = "template"
	}
	msg := fmt.Sprintf("Deleted %s %s (%s, %s) and its files: %s", what, r.VM.Name, r.VM.ID, r.VM.Path, r.VMXPath)
	for _, d := range r.Disks {
		msg += fmt.Sprintf(", disk %s (%.0f GB)", d.File, d.CapacityGB)
	}
	if len(r.Files) > 0 {
		msg += fmt.Sprintf("; %d files in all (%s)", len(r.Files), strings.Join(r.Files, ", "))
	}
	msg += "."
	if r.PoweredOff {
		msg = "Powered it off first (force). " + msg
	}
	return answer(msg, r), r, nil
}
