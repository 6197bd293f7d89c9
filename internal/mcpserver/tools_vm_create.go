package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type createVMInput struct {
	Name         string `json:"name" jsonschema:"name of the new VM: at most 80 characters; no /, \\, % or control characters, no spaces at either end, not . or ..; not already used in the target folder"`
	CPU          int    `json:"cpu" jsonschema:"number of virtual CPUs"`
	Memory       int    `json:"memory" jsonschema:"memory in MB, a multiple of 4 (e.g. 4096 for 4 GB)"`
	DiskGB       int    `json:"disk_gb,omitempty" jsonschema:"size of the thin-provisioned system disk in GB"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"datastore for the VM's files and disk (default: the configured one, or the one with most free space)"`
	Network      string `json:"network,omitempty" jsonschema:"network (standard or distributed port group, or NSX opaque network) of the VM's adapter (default: the configured network)"`
	GuestID      string `json:"guest_id,omitempty" jsonschema:"vSphere guest OS identifier, e.g. ubuntu64Guest, rhel9_64Guest, windows2019srv_64Guest (default otherGuest64)"`
	Folder       string `json:"folder,omitempty" jsonschema:"VM folder: inventory path (/DC0/vm/prod) or path below the datacenter's VM folder (prod); default the datacenter's VM folder"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"cluster (or standalone host) to run on (default: the configured cluster)"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"resource pool, by name or inventory path (default: the cluster's root pool)"`
	Host         string `json:"host,omitempty" jsonschema:"ESXi host to place the VM on (default: chosen by vCenter)"`
	PowerOn      bool   `json:"power_on,omitempty" jsonschema:"power the VM on once created (default false)"`
	Annotation   string `json:"annotation,omitempty" jsonschema:"notes shown with the VM in vSphere"`
	ISO          string `json:"iso,omitempty" jsonschema:"install media: an ISO image mounted in a new CD/DVD drive, as [datastore] folder/file.iso; checked to exist"`
}

func (h *handlers) createVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "create_vm",
		Title: "Create a virtual machine",
		Description: "Create an empty VM (no OS installed) with the given CPUs and memory, a SCSI controller with one thin-provisioned disk, " +
			"and a network adapter on the chosen network. Placement (folder, cluster, resource_pool, host, datastore, network) falls back to the server's defaults. " +
			"Every argument is checked before anything is created; an unknown datastore, network, folder, cluster, pool or host is refused with the ones that exist. " +
			"Sends progress notifications when asked; cancelling the request cancels the vSphere task and leaves no VM behind.",
		Annotations: write(false),
	}, h.createVM, func(s *shaper) {
		s.vmName("name")
		s.bounds("cpu", vsphere.MinCPUs, vsphere.MaxCPUs, nil)
		s.bounds("memory", vsphere.MinMemoryMB, vsphere.MaxMemoryMB, nil)
		s.multipleOf("memory", 4)
		s.bounds("disk_gb", vsphere.MinDiskGB, vsphere.MaxDiskGB, vsphere.DefaultDiskGB)
		s.setDefault(s.prop("guest_id"), vsphere.DefaultGuestID)
		s.length("annotation", 0, 65535)
	})
}

func (h *handlers) createVM(ctx context.Context, req *mcp.CallToolRequest, in createVMInput) (*mcp.CallToolResult, *vsphere.NewVM, error) {
	vm, err := h.vs.CreateVM(ctx, vsphere.CreateVMSpec{
		Name: in.Name, CPUs: in.CPU, MemoryMB: in.Memory, DiskGB: in.DiskGB, GuestID: in.GuestID,
		Annotation: in.Annotation, PowerOn: in.PowerOn, ISO: in.ISO,
		Placement: vsphere.PlacementArgs{
			Folder: in.Folder, Cluster: in.Cluster, ResourcePool: in.ResourcePool, Host: in.Host,
			Datastore: in.Datastore, Network: in.Network,
		},
	}, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	msg := fmt.Sprintf("Created VM %s (%s) at %s: %d vCPU, %d MB, %s, files %s; it is %s.",
		vm.Name, vm.ID, vm.Path, vm.CPUs, vm.MemoryMB, hardware(vm), vm.VMXPath, vm.PowerState)
	if len(vm.Notes) > 0 {
		msg += " Note: " + strings.Join(vm.Notes, "; ") + "."
	}
	return answer(msg, vm), vm, nil
}

// hardware says a new VM's disks and adapters in a few words.
func hardware(vm *vsphere.NewVM) string {
	var parts []string
	for _, d := range vm.Disks {
		parts = append(parts, fmt.Sprintf("%.0f GB %s disk on %s", d.CapacityGB, d.Provisioning, d.Datastore))
	}
	for _, n := range vm.NICs {
		parts = append(parts, fmt.Sprintf("%s adapter on %s %s", n.Type, n.NetworkKind, n.Network))
	}
	if len(vm.NICs) == 0 {
		parts = append(parts, "no network adapter")
	}
	return strings.Join(parts, ", ")
}
