package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type migrateVMInput struct {
	Name         string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	Host         string `json:"host,omitempty" jsonschema:"ESXi host to move the VM to (vMotion: live when the VM runs)"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"cluster to move the VM to (its root resource pool unless resource_pool says otherwise)"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"resource pool to move the VM to, by name or inventory path"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"datastore to move the VM's files and disks to (Storage vMotion when it runs)"`
	Folder       string `json:"folder,omitempty" jsonschema:"VM folder to move the VM to: inventory path (/DC0/vm/prod) or path below the datacenter's VM folder (prod)"`
	Priority     string `json:"priority,omitempty" jsonschema:"vMotion priority: default, high (reserve resources first) or low"`
}

func (h *handlers) migrateVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "migrate_vm",
		Title: "Migrate a VM to another host, datastore or folder",
		Description: "Move a VM (vCenter only; refused on a standalone ESXi host): to another host, cluster or resource pool (vMotion, live for a running VM, " +
			"cold for one that is off), to another datastore (Storage vMotion), both at once, and/or to another folder. " +
			"Targets are checked before anything moves: they must exist and fit together, and the new host must see the VM's datastore unless datastore moves it too. " +
			"Compatibility faults (CPU, network, storage) come back in words. Sends progress notifications when asked; cancelling the request cancels the vSphere task.",
		Annotations: write(true),
	}, h.migrateVM, func(s *shaper) {
		s.length("name", 1, 1024)
		s.enum("priority", vsphere.PriorityDefault, vsphere.PriorityDefault, vsphere.PriorityHigh, vsphere.PriorityLow)
	})
}

func (h *handlers) migrateVM(ctx context.Context, req *mcp.CallToolRequest, in migrateVMInput) (*mcp.CallToolResult, *vsphere.MigrateResult, error) {
	r, err := h.vs.MigrateVM(ctx, vsphere.MigrateSpec{
		VM: in.Name, Host: in.Host, Cluster: in.Cluster, ResourcePool: in.ResourcePool, Datastore: in.Datastore, Folder: in.Folder, Priority: in.Priority,
	}, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	var msg string
	if !r.Changed {
		msg = fmt.Sprintf("VM %s (%s) already is where asked; nothing was moved.", r.VM.Name, r.VM.ID)
	} else {
		parts := make([]string, len(r.Changes))
		for i, c := range r.Changes {
			parts[i] = fmt.Sprintf("%s %s → %s", c.Item, c.Before, c.After)
		}
		msg = fmt.Sprintf("Migrated VM %s (%s), %s: %s; it is %s.", r.VM.Name, r.VM.ID, r.Kind, strings.Join(parts, "; "), r.PowerState)
	}
	return answer(withNotes(msg, r.Notes), r), r, nil
}
