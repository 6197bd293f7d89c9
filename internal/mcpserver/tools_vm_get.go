package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type vmRefInput struct {
	Name string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID; a name shared by several VMs is refused with the candidates listed"`
}

func (h *handlers) getVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "get_vm",
		Title: "Describe a virtual machine",
		Description: "Describe one VM in depth: power state, CPUs, cores per socket, memory, guest OS, IP addresses, VMware Tools status, " +
			"disks (capacity, datastore, thin or thick, file), network adapters (network, MAC, type, connected), host, cluster, resource pool, " +
			"folder, datastores, snapshot tree, annotation and template flag. " +
			"tools_running_status tells whether guest operations (power_off_vm / restart_vm with mode guest) are possible.",
		Annotations: readOnly(),
	}, h.getVM, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) getVM(ctx context.Context, _ *mcp.CallToolRequest, in vmRefInput) (*mcp.CallToolResult, *vsphere.VMDetail, error) {
	d, err := h.vs.GetVM(ctx, in.Name)
	if err != nil {
		return nil, nil, err
	}
	return nil, d, nil
}
