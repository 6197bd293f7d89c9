package vsphere

import (
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// VMSummary is one VM as listed: what an administrator scans a list for.
type VMSummary struct {
	ID           string `json:"id" jsonschema:"managed object id, e.g. vm-42; accepted wherever a VM is named"`
	Name         string `json:"name"`
	Path         string `json:"path" jsonschema:"inventory path, e.g. /DC0/vm/web-01"`
	PowerState   string `json:"power_state" jsonschema:"poweredOn, poweredOff or suspended"`
	CPUs         int32  `json:"cpus"`
	MemoryMB     int32  `json:"memory_mb"`
	GuestOS      string `json:"guest_os,omitempty" jsonschema:"configured guest operating system"`
	IPAddress    string `json:"ip_address,omitempty" jsonschema:"primary guest IP address, reported by VMware Tools"`
	Host         string `json:"host,omitempty" jsonschema:"ESXi host the VM is registered on"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"cluster (or standalone compute resource) of the host"`
	Template     bool   `json:"template"`
	UUID         string `json:"uuid,omitempty" jsonschema:"BIOS UUID"`
	InstanceUUID string `json:"instance_uuid,omitempty" jsonschema:"vCenter instance UUID"`
	// ConnectionState is omitted for the normal "connected": a VM vCenter cannot
	// reach shows zeros for what it cannot read, and this says why.
	ConnectionState string `json:"connection_state,omitempty" jsonschema:"set only when vCenter cannot manage the VM normally: disconnected, orphaned, inaccessible or invalid (its other figures may then be empty)"`

	ref          types.ManagedObjectReference
	toolsRunning string // guest.toolsRunningStatus, for guest operations
}

// Ref is the VM's managed object reference.
func (v *VMSummary) Ref() types.ManagedObjectReference { return v.ref }

// summaryOf is a mirrored VM as listed.
func summaryOf(v *inventory.View, vm *inventory.VM) VMSummary {
	s := VMSummary{
		ID:           vm.ID,
		Name:         vm.Name,
		Path:         v.Path(vm.ID),
		PowerState:   vm.PowerState,
		CPUs:         vm.NumCPU,
		MemoryMB:     vm.MemoryMB,
		GuestOS:      vm.GuestFullName,
		IPAddress:    vm.IPAddress,
		Template:     vm.Template,
		UUID:         vm.UUID,
		InstanceUUID: vm.InstanceUUID,
		ref:          types.ManagedObjectReference{Type: "VirtualMachine", Value: vm.ID},
		toolsRunning: vm.ToolsRunning,
	}
	if vm.ConnectionState != "" && vm.ConnectionState != string(types.VirtualMachineConnectionStateConnected) {
		s.ConnectionState = vm.ConnectionState
	}
	if h := v.Host(vm.Host); h != nil {
		s.Host = h.Name
		if cr := v.Compute(h.Parent); cr != nil {
			s.Cluster = cr.Name
		}
	}
	return s
}

type node struct {
	name   string
	parent types.ManagedObjectReference
}

// vmInventory holds the names and parents of the containers around a VM —
// its folder (or vApp), datacenter and resource pool — from which the paths
// of its folder and pool are built.
type vmInventory struct {
	nodes map[types.ManagedObjectReference]node
}

// inventoryAround copies from the mirror the ancestors of the given objects.
func inventoryAround(v *inventory.View, ids ...string) *vmInventory {
	inv := &vmInventory{nodes: map[types.ManagedObjectReference]node{}}
	for _, id := range ids {
		for seen := 0; seen < 64 && id != ""; seen++ {
			r := v.Ref(id)
			if r.Value == "" {
				break
			}
			if _, done := inv.nodes[r]; done {
				break
			}
			parent := v.Parent(id)
			inv.nodes[r] = node{name: v.Name(id), parent: v.Ref(parent)}
			id = parent
		}
	}
	return inv
}

// path builds the inventory path of obj from the names and parents held.
// The root folder is not part of the inventory, so the walk ends there.
// vCenter already stores "/" inside a name as %2f, so names join as they are.
func (inv *vmInventory) path(obj types.ManagedObjectReference) string {
	var parts []string
	for seen := 0; seen < 64; seen++ {
		n, ok := inv.nodes[obj]
		if !ok {
			break
		}
		parts = append(parts, n.name)
		obj = n.parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}
