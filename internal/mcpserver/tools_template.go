package mcpserver

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type convertToVMInput struct {
	Name         string `json:"name" jsonschema:"the template: its name, inventory path, managed object id or BIOS/instance UUID"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"resource pool of the VM, by name or inventory path (default: the root pool of the template's cluster)"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"cluster whose root pool the VM joins, when resource_pool is not given"`
	Host         string `json:"host,omitempty" jsonschema:"ESXi host the VM runs on (default: the template's host when it is in that cluster; a cluster without DRS needs one)"`
}

func (h *handlers) convertToTemplateTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "convert_to_template",
		Title: "Convert a VM to a template",
		Description: "Mark a powered-off VM as a template (vCenter only): it can no longer be powered on or changed, only cloned (clone_vm) or converted back (convert_to_vm). " +
			"Idempotent: a template is reported unchanged. A running VM is refused: power it off first.",
		Annotations: write(true),
	}, h.convertToTemplate, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) convertToVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "convert_to_vm",
		Title: "Convert a template to a VM",
		Description: "Turn a template back into a VM (vCenter only), in a resource pool: resource_pool, or cluster's root pool, or the root pool of the template's cluster; " +
			"host picks its host. The VM is powered off. Idempotent: a VM is reported unchanged.",
		Annotations: write(true),
	}, h.convertToVM, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) convertToTemplate(ctx context.Context, _ *mcp.CallToolRequest, in vmRefInput) (*mcp.CallToolResult, *vsphere.TemplateResult, error) {
	r, err := h.vs.ConvertToTemplate(ctx, in.Name)
	if err != nil {
		return nil, nil, err
	}
	msg := fmt.Sprintf("VM %s (%s) is now a template; clone_vm makes VMs from it.", r.VM.Name, r.VM.ID)
	if !r.Changed {
		msg = fmt.Sprintf("%s (%s) already was a template; nothing was done.", r.VM.Name, r.VM.ID)
	}
	return answer(msg, r), r, nil
}

func (h *handlers) convertToVM(ctx context.Context, _ *mcp.CallToolRequest, in convertToVMInput) (*mcp.CallToolResult, *vsphere.TemplateResult, error) {
	r, err := h.vs.ConvertToVM(ctx, vsphere.ConvertToVMSpec{Template: in.Name, ResourcePool: in.ResourcePool, Cluster: in.Cluster, Host: in.Host})
	if err != nil {
		return nil, nil, err
	}
	msg := fmt.Sprintf("Template %s (%s) is now a VM in pool %s on host %s; it is powered off.", r.VM.Name, r.VM.ID, r.ResourcePool, r.Host)
	if !r.Changed {
		msg = fmt.Sprintf("%s (%s) already was a VM; nothing was done.", r.VM.Name, r.VM.ID)
	}
	return answer(msg, r), r, nil
}
