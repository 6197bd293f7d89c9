package mcpserver

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type cloneVMInput struct {
	TemplateName string `json:"template_name" jsonschema:"the template or VM to clone: its name, inventory path, managed object id or BIOS/instance UUID"`
	NewName      string `json:"new_name" jsonschema:"name of the clone: at most 80 characters; no /, \\, % or control characters, no spaces at either end, not . or ..; not already used in the target folder"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"datastore for the clone (default: the source's datastore)"`
	Folder       string `json:"folder,omitempty" jsonschema:"VM folder: inventory path or path below the datacenter's VM folder (default: the source's folder)"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"resource pool, by name or inventory path (default: the source's pool; for a template, the default pool)"`
	Host         string `json:"host,omitempty" jsonschema:"ESXi host to place the clone on (default: chosen by vCenter)"`
	PowerOn      bool   `json:"power_on,omitempty" jsonschema:"power the clone on once made (default false)"`
	Linked       bool   `json:"linked,omitempty" jsonschema:"make a linked clone from the source's current snapshot: fast and small, but tied to the source's disks (default false: a full clone)"`
	CPU          int    `json:"cpu,omitempty" jsonschema:"virtual CPUs of the clone (default: as the source)"`
	Memory       int    `json:"memory,omitempty" jsonschema:"memory of the clone in MB, a multiple of 4 (default: as the source)"`
	guestCustomizationInput
}

func (h *handlers) cloneVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "clone_vm",
		Title: "Clone a VM or template",
		Description: "Clone a template or a VM into a new VM (vCenter only). The clone goes to the source's folder and datastore and, for a VM, its resource pool, " +
			"unless folder, datastore, resource_pool or host say otherwise; cpu and memory override the source's. " +
			"linked makes a linked clone from the source's current snapshot (an error if it has none). " +
			"Guest customization (Linux and Windows guests): hostname, domain, ip + netmask + gateway + dns or dhcp, or a stored customization_spec; vCenter applies it at the clone's first boot. " +
			"Every argument is checked before anything is made. Sends progress notifications when asked; cancelling the request cancels the vSphere task and leaves no VM behind.",
		Annotations: write(false),
	}, h.cloneVM, func(s *shaper) {
		s.length("template_name", 1, 1024)
		s.vmName("new_name")
		s.bounds("cpu", vsphere.MinCPUs, vsphere.MaxCPUs, nil)
		s.bounds("memory", vsphere.MinMemoryMB, vsphere.MaxMemoryMB, nil)
		s.multipleOf("memory", 4)
	})
}

func (h *handlers) cloneVM(ctx context.Context, req *mcp.CallToolRequest, in cloneVMInput) (*mcp.CallToolResult, *vsphere.ClonedVM, error) {
	c, err := h.vs.CloneVM(ctx, vsphere.CloneVMSpec{
		Source: in.TemplateName, Name: in.NewName, PowerOn: in.PowerOn, Linked: in.Linked,
		CPUs: in.CPU, MemoryMB: in.Memory,
		Placement: vsphere.PlacementArgs{Folder: in.Folder, ResourcePool: in.ResourcePool, Host: in.Host, Datastore: in.Datastore},
		Customize: in.customization(),
	}, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	kind := "full clone"
	if c.Linked {
		kind = fmt.Sprintf("linked clone (from snapshot %q)", c.Snapshot)
	}
	msg := fmt.Sprintf("Cloned %s (%s) into VM %s (%s) at %s, a %s: %d vCPU, %d MB, files %s, pool %s; it is %s.",
		c.Source.Name, c.Source.ID, c.VM.Name, c.VM.ID, c.VM.Path, kind, c.VM.CPUs, c.VM.MemoryMB, c.VM.VMXPath, c.VM.ResourcePool, c.VM.PowerState)
	msg += customizationNote(c.Customization)
	return answer(msg, c), c, nil
}
