package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// nameFilter is the input of the placement-target listings.
type nameFilter struct {
	Name   string `json:"name,omitempty" jsonschema:"only names containing this (case-insensitive), or matching it as a glob such as esx-0* when it holds * ? or ["`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size (default 100, at most 1000)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, with the same name"`
}

// pagedList shapes a placement-target listing's paging input.
func pagedList(s *shaper) {
	s.bounds("limit", 1, vsphere.MaxListLimit, vsphere.DefaultListLimit)
}

func (h *handlers) listHostsTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "list_hosts",
		Title: "List ESXi hosts",
		Description: "List the ESXi hosts with cluster, connection and power state, maintenance mode, CPU and memory capacity and current usage (MHz, MB and %), and the number of VMs registered on each. " +
			"Use it to choose a host for create_vm or clone_vm: a host that is disconnected or in maintenance mode cannot take VMs. Paged like list_vms (limit, cursor).",
		Annotations: readOnly(),
	}, h.listHosts, pagedList)
}

func (h *handlers) listHosts(ctx context.Context, _ *mcp.CallToolRequest, in nameFilter) (*mcp.CallToolResult, *vsphere.HostList, error) {
	out, err := h.vs.ListHosts(ctx, in.Name, in.Limit, in.Cursor)
	if err != nil {
		return nil, nil, err
	}
	return nil, out, nil
}

func (h *handlers) listDatastoresTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "list_datastores",
		Title: "List datastores",
		Description: "List the datastores with type, capacity, free and provisioned space (GB), whether they are accessible or in maintenance mode, the hosts that mount them and their VM count. " +
			"Use it to choose a datastore for create_vm or clone_vm: it must be accessible, not in maintenance, and mounted on the target host. Paged like list_vms (limit, cursor).",
		Annotations: readOnly(),
	}, h.listDatastores, pagedList)
}

func (h *handlers) listDatastores(ctx context.Context, _ *mcp.CallToolRequest, in nameFilter) (*mcp.CallToolResult, *vsphere.DatastoreList, error) {
	out, err := h.vs.ListDatastores(ctx, in.Name, in.Limit, in.Cursor)
	if err != nil {
		return nil, nil, err
	}
	return nil, out, nil
}

func (h *handlers) listNetworksTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "list_networks",
		Title: "List networks",
		Description: "List the networks VMs can connect to: standard switch port groups, distributed port groups (with their switch) and opaque (NSX) networks, with VLAN where vSphere knows it, and host and VM counts. " +
			"Use it to choose the network argument of create_vm. Paged like list_vms (limit, cursor).",
		Annotations: readOnly(),
	}, h.listNetworks, pagedList)
}

func (h *handlers) listNetworks(ctx context.Context, _ *mcp.CallToolRequest, in nameFilter) (*mcp.CallToolResult, *vsphere.NetworkList, error) {
	out, err := h.vs.ListNetworks(ctx, in.Name, in.Limit, in.Cursor)
	if err != nil {
		return nil, nil, err
	}
	return nil, out, nil
}
