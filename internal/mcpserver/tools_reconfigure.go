package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type reconfigureVMInput struct {
	Name                string  `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	CPU                 int     `json:"cpu,omitempty" jsonschema:"new number of virtual CPUs; a running VM takes only an increase, and only with CPU hot-add enabled"`
	CoresPerSocket      int     `json:"cores_per_socket,omitempty" jsonschema:"cores per virtual socket; must divide the vCPU count; only while the VM is off"`
	Memory              int     `json:"memory,omitempty" jsonschema:"new memory in MB, a multiple of 4; a running VM takes only an increase, and only with memory hot-add enabled"`
	Annotation          string  `json:"annotation,omitempty" jsonschema:"new notes of the VM (replace the old ones; a single space blanks them)"`
	NewName             string  `json:"new_name,omitempty" jsonschema:"rename the VM (its files keep their names): at most 80 characters, no / or \\, not used in its folder"`
	AddDiskGB           int     `json:"add_disk_gb,omitempty" jsonschema:"add a disk of this size in GB"`
	AddDiskDatastore    string  `json:"add_disk_datastore,omitempty" jsonschema:"datastore of the new disk (default: the VM's own)"`
	AddDiskProvisioning string  `json:"add_disk_provisioning,omitempty" jsonschema:"thin (default), thick (lazy zeroed) or thick-eager (eager zeroed)"`
	GrowDisk            string  `json:"grow_disk,omitempty" jsonschema:"label of the disk to grow, e.g. Hard disk 1 (see get_vm)"`
	GrowDiskGB          int     `json:"grow_disk_gb,omitempty" jsonschema:"the grown disk's new size in GB: larger than now (disks are never shrunk)"`
	AddNICNetwork       string  `json:"add_nic_network,omitempty" jsonschema:"add a network adapter on this network (standard or distributed port group, or NSX network)"`
	NIC                 string  `json:"nic,omitempty" jsonschema:"label of the adapter nic_network and nic_connected change, e.g. Network adapter 1 (default: the VM's only adapter)"`
	NICNetwork          string  `json:"nic_network,omitempty" jsonschema:"move the adapter to this network"`
	NICConnected        *bool   `json:"nic_connected,omitempty" jsonschema:"connect (true) or disconnect (false) the adapter, now if the VM runs and at every power-on"`
	ISO                 *string `json:"iso,omitempty" jsonschema:"mount an ISO image in the CD/DVD drive, as [datastore] folder/file.iso (a drive is added to a powered-off VM that has none); an empty string ejects it"`
}

func (h *handlers) reconfigureVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "reconfigure_vm",
		Title: "Change a VM's hardware, name or notes",
		Description: "Change a VM in one vSphere task: cpu, cores_per_socket, memory, annotation, new_name; add a disk (add_disk_gb, thin by default) or grow one by its label " +
			"(never shrink); add a network adapter, move one to another network, connect or disconnect it; mount an ISO in the CD/DVD drive or eject it. " +
			"Every change is checked before anything changes (bounds, the host's limits, names, that datastores, networks, disks, adapters and the ISO file exist); " +
			"a running VM takes only CPU and memory increases, and only with hot-add enabled: otherwise the answer says to power it off. " +
			"Values already in place are left alone; the answer lists each change as before and after.",
		Annotations: write(false),
	}, h.reconfigureVM, func(s *shaper) {
		s.length("name", 1, 1024)
		s.bounds("cpu", vsphere.MinCPUs, vsphere.MaxCPUs, nil)
		s.bounds("cores_per_socket", 1, vsphere.MaxCPUs, nil)
		s.bounds("memory", vsphere.MinMemoryMB, vsphere.MaxMemoryMB, nil)
		s.multipleOf("memory", 4)
		s.length("annotation", 0, vsphere.MaxAnnotationLength)
		s.vmName("new_name")
		s.bounds("add_disk_gb", vsphere.MinDiskGB, vsphere.MaxDiskGB, nil)
		s.enum("add_disk_provisioning", vsphere.ProvisionThin, vsphere.ProvisionThin, vsphere.ProvisionThick, vsphere.ProvisionThickEager)
		s.bounds("grow_disk_gb", vsphere.MinDiskGB, vsphere.MaxDiskGB, nil)
	})
}

func (h *handlers) reconfigureVM(ctx context.Context, req *mcp.CallToolRequest, in reconfigureVMInput) (*mcp.CallToolResult, *vsphere.ReconfigureResult, error) {
	r, err := h.vs.ReconfigureVM(ctx, vsphere.ReconfigureSpec{
		VM: in.Name, CPUs: in.CPU, CoresPerSocket: in.CoresPerSocket, MemoryMB: in.Memory, Annotation: in.Annotation, NewName: in.NewName,
		AddDiskGB: in.AddDiskGB, AddDiskDatastore: in.AddDiskDatastore, AddDiskProvisioning: in.AddDiskProvisioning,
		GrowDisk: in.GrowDisk, GrowDiskGB: in.GrowDiskGB,
		AddNICNetwork: in.AddNICNetwork, NIC: in.NIC, NICNetwork: in.NICNetwork, NICConnected: in.NICConnected,
		ISO: in.ISO,
	}, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	var msg string
	if !r.Changed {
		msg = fmt.Sprintf("VM %s (%s) already is as asked; nothing was changed.", r.VM.Name, r.VM.ID)
	} else {
		parts := make([]string, len(r.Changes))
		for i, c := range r.Changes {
			parts[i] = fmt.Sprintf("%s %s → %s", c.Item, c.Before, c.After)
		}
		msg = fmt.Sprintf("Reconfigured VM %s (%s): %s.", r.VM.Name, r.VM.ID, strings.Join(parts, "; "))
	}
	return answer(withNotes(msg, r.Notes), r), r, nil
}
