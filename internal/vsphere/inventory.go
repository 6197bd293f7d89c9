package vsphere

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
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

var vmSummaryProps = []string{
	"name", "parent", "parentVApp", "runtime.powerState", "runtime.host", "runtime.connectionState",
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.guestFullName",
	"config.template", "config.uuid", "config.instanceUuid", "guest.ipAddress",
	"guest.toolsRunningStatus",
}

// containerSpecs are the names and parents of the containers that give a VM
// its path, host and cluster. There are few of them next to the VMs.
var containerSpecs = []types.PropertySpec{
	{Type: "Folder", PathSet: []string{"name", "parent"}},
	{Type: "Datacenter", PathSet: []string{"name", "parent"}},
	{Type: "HostSystem", PathSet: []string{"name", "parent"}},
	{Type: "ComputeResource", PathSet: []string{"name", "parent"}},
	{Type: "ResourcePool", PathSet: []string{"name", "parent"}},
	// A vApp's place in the VM folder tree is its parentFolder.
	{Type: "VirtualApp", PathSet: []string{"name", "parent", "parentFolder"}},
}

// inventorySpecs list every VM with its summary (list_vms).
var inventorySpecs = withVMProps(vmSummaryProps)

// lookupProps are what resolving a reference needs of every VM: little, so a
// lookup on a large inventory moves little data. UUIDs are added only for a
// reference shaped like one.
var (
	lookupProps     = []string{"name", "parent", "parentVApp", "runtime.host"}
	lookupUUIDProps = []string{"config.uuid", "config.instanceUuid"}
)

func withVMProps(props []string) []types.PropertySpec {
	return append([]types.PropertySpec{{Type: "VirtualMachine", PathSet: props}}, containerSpecs...)
}

// viewKinds are the types the inventory view holds.
func viewKinds() []string {
	kinds := []string{"VirtualMachine"}
	for _, s := range containerSpecs {
		if s.Type != "VirtualApp" { // a kind of ResourcePool
			kinds = append(kinds, s.Type)
		}
	}
	return kinds
}

type node struct {
	name   string
	parent types.ManagedObjectReference
}

// vmInventory is the result of one snapshot retrieval.
type vmInventory struct {
	vms   []VMSummary
	nodes map[types.ManagedObjectReference]node
}

// snapshot retrieves every VM with its summary properties, and the folders,
// datacenters, hosts, clusters and pools that give each its path, host and
// cluster, in ONE SOAP request whatever the inventory size: a
// RetrievePropertiesEx through the session's inventory container view (plus
// ContinueRetrievePropertiesEx pages only when vCenter splits a very large
// result). The view is created once per vCenter session (see inventoryView).
func (c *Client) snapshot(ctx context.Context) (*vmInventory, error) {
	return c.snapshotOf(ctx, inventorySpecs)
}

// snapshotOf is snapshot with other VM properties (see lookupProps).
func (c *Client) snapshotOf(ctx context.Context, specs []types.PropertySpec) (*vmInventory, error) {
	content, err := c.retrieveInventory(ctx, specs)
	if err != nil {
		return nil, fmt.Errorf("retrieving the VM inventory: %w", err)
	}
	return newVMInventory(content), nil
}

// newVMInventory indexes retrieved VMs and their containers (names and parents).
func newVMInventory(content []types.ObjectContent) *vmInventory {
	inv := &vmInventory{nodes: make(map[types.ManagedObjectReference]node, len(content))}
	var vms []types.ObjectContent
	for _, oc := range content {
		m := propsOf(oc)
		parent, ok := ref(m, "parent")
		// A VM in a vApp has parentVApp instead of a parent; a vApp sits in
		// the VM folder tree under its parentFolder.
		if vapp, has := ref(m, "parentVApp"); !ok && has {
			parent = vapp
		}
		if folder, has := ref(m, "parentFolder"); has {
			parent = folder
		}
		inv.nodes[oc.Obj] = node{name: str(m, "name"), parent: parent}
		if oc.Obj.Type == "VirtualMachine" {
			vms = append(vms, oc)
		}
	}
	inv.vms = make([]VMSummary, 0, len(vms))
	for _, oc := range vms {
		inv.vms = append(inv.vms, inv.summary(oc))
	}
	return inv
}

func (inv *vmInventory) summary(oc types.ObjectContent) VMSummary {
	m := propsOf(oc)
	v := VMSummary{
		ID:           oc.Obj.Value,
		Name:         str(m, "name"),
		Path:         inv.path(oc.Obj),
		GuestOS:      str(m, "config.guestFullName"),
		IPAddress:    str(m, "guest.ipAddress"),
		UUID:         str(m, "config.uuid"),
		InstanceUUID: str(m, "config.instanceUuid"),
		ref:          oc.Obj,
		toolsRunning: str(m, "guest.toolsRunningStatus"),
	}
	if ps, ok := m["runtime.powerState"].(types.VirtualMachinePowerState); ok {
		v.PowerState = string(ps)
	}
	if cs, ok := m["runtime.connectionState"].(types.VirtualMachineConnectionState); ok && cs != types.VirtualMachineConnectionStateConnected {
		v.ConnectionState = string(cs)
	}
	v.CPUs, _ = m["config.hardware.numCPU"].(int32)
	v.MemoryMB, _ = m["config.hardware.memoryMB"].(int32)
	v.Template, _ = m["config.template"].(bool)
	if h, ok := ref(m, "runtime.host"); ok {
		hn := inv.nodes[h]
		v.Host = hn.name
		if cr, ok := inv.nodes[hn.parent]; ok && (hn.parent.Type == "ClusterComputeResource" || hn.parent.Type == "ComputeResource") {
			v.Cluster = cr.name
		}
	}
	return v
}

// path builds the inventory path of obj from the snapshot's names and parents.
// The root folder is not part of the view, so the walk ends there. vCenter
// already stores "/" inside a name as %2f, so names join as they are.
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
