package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type listVMsInput struct {
	Name             string `json:"name,omitempty" jsonschema:"filter by VM name: a case-insensitive substring, or a glob such as web-* when it holds * ? or ["`
	PowerState       string `json:"power_state,omitempty" jsonschema:"only VMs in this power state"`
	Host             string `json:"host,omitempty" jsonschema:"only VMs registered on this ESXi host (name)"`
	Cluster          string `json:"cluster,omitempty" jsonschema:"only VMs in this cluster (or standalone host's compute resource)"`
	Folder           string `json:"folder,omitempty" jsonschema:"only VMs below this inventory folder path, e.g. /DC0/vm/prod"`
	Datastore        string `json:"datastore,omitempty" jsonschema:"only VMs with files on this datastore (name)"`
	Network          string `json:"network,omitempty" jsonschema:"only VMs connected to this network (name)"`
	Sort             string `json:"sort,omitempty" jsonschema:"order: name (default; then id), cpu (most CPUs first) or memory (most memory first)"`
	IncludeTemplates bool   `json:"include_templates,omitempty" jsonschema:"also list templates (default false)"`
	TemplatesOnly    bool   `json:"templates_only,omitempty" jsonschema:"list only templates"`
	Limit            int    `json:"limit,omitempty" jsonschema:"page size (default 100, at most 1000)"`
	Cursor           string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, with the same filters"`
}

func (h *handlers) vmListTools() ([]toolDef, error) {
	d, err := defineTool(&mcp.Tool{
		Name:  "list_vms",
		Title: "List virtual machines",
		Description: "List the VMs of the vCenter or ESXi host with id, inventory path, power state, CPUs, memory, guest OS, IP, host, cluster and template flag. " +
			"Filters combine (AND); a host, cluster, folder, datastore or network that does not exist is an error listing similar names. " +
			"Results are sorted (by name unless sort says otherwise) and paged: when truncated is true, call again with cursor = next_cursor and the same filters. " +
			"A walk through the pages returns every VM that existed throughout it exactly once, even while VMs are created, renamed or removed. " +
			"total is the number of matching VMs over all pages. Answers come from the server's live copy of the inventory; " +
			"inventory_age_seconds appears only when that copy is not receiving vCenter's updates.",
		Annotations: readOnly(),
	}, h.listVMs, func(s *shaper) {
		s.enum("power_state", "", "poweredOn", "poweredOff", "suspended")
		s.enum("sort", vsphere.SortName, vsphere.SortName, vsphere.SortCPU, vsphere.SortMemory)
		s.bounds("limit", 1, vsphere.MaxListLimit, vsphere.DefaultListLimit)
	})
	return []toolDef{d}, err
}

func (h *handlers) listVMs(ctx context.Context, _ *mcp.CallToolRequest, in listVMsInput) (*mcp.CallToolResult, *vsphere.VMList, error) {
	list, err := h.vs.ListVMs(ctx, vsphere.ListFilter{
		Name:             in.Name,
		PowerState:       in.PowerState,
		Host:             in.Host,
		Cluster:          in.Cluster,
		Folder:           in.Folder,
		Datastore:        in.Datastore,
		Network:          in.Network,
		Sort:             in.Sort,
		IncludeTemplates: in.IncludeTemplates,
		TemplatesOnly:    in.TemplatesOnly,
	}, in.Limit, in.Cursor)
	if err != nil {
		return nil, nil, err
	}
	return nil, list, nil
}
