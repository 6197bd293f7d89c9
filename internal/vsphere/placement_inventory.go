package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// placementInventory is everything create and clone need to resolve and check
// where a VM goes — folders, clusters, pools, hosts, datastores, networks — from
// one property-collector retrieval. Its size follows the number of hosts,
// datastores and networks, never the number of VMs.
type placementInventory struct {
	dc         Named
	vmFolder   types.ManagedObjectReference
	nodes      map[types.ManagedObjectReference]node // every object's name and parent, for paths
	folders    []types.ManagedObjectReference        // VM folders of the datacenter, vmFolder included
	computes   []computeInfo
	pools      []poolInfo
	hosts      map[types.ManagedObjectReference]hostInfo
	datastores map[types.ManagedObjectReference]datastoreInfo
	networks   []networkInfo
	switchUUID map[types.ManagedObjectReference]string
	uplinks    []types.ManagedObjectReference // uplink port groups, not for VMs
}

type computeInfo struct {
	ref                        types.ManagedObjectReference
	name                       string
	pool                       types.ManagedObjectReference
	hosts, datastores, network []types.ManagedObjectReference
}

type poolInfo struct {
	ref, owner types.ManagedObjectReference
	name       string
}

type hostInfo struct {
	name                string
	parent              types.ManagedObjectReference
	datastores, network []types.ManagedObjectReference
	maxVCPUs            int32 // 0: unknown
}

type datastoreInfo struct {
	name        string
	accessible  bool
	free        int64
	maintenance string
}

func (d datastoreInfo) usable() bool {
	return d.accessible && (d.maintenance == "" || d.maintenance == "normal")
}

type networkInfo struct {
	ref        types.ManagedObjectReference
	name       string
	key        string // distributed port group key
	dvs        types.ManagedObjectReference
	uplink     bool
	opaqueID   string
	opaqueType string
}

var placementSpecs = []types.PropertySpec{
	{Type: "Folder", PathSet: []string{"name", "parent"}},
	{Type: "Datacenter", PathSet: []string{"name", "parent", "vmFolder"}},
	{Type: "ComputeResource", PathSet: []string{"name", "parent", "resourcePool", "host", "datastore", "network"}},
	{Type: "ResourcePool", PathSet: []string{"name", "parent", "owner"}},
	{Type: "HostSystem", PathSet: []string{"name", "parent", "datastore", "network", "capability.maxSupportedVcpus"}},
	{Type: "Datastore", PathSet: []string{"name", "parent", "summary.accessible", "summary.freeSpace", "summary.maintenanceMode"}},
	{Type: "Network", PathSet: []string{"name", "parent"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{"key", "config.distributedVirtualSwitch", "config.uplink"}},
	{Type: "OpaqueNetwork", PathSet: []string{"summary"}},
	{Type: "DistributedVirtualSwitch", PathSet: []string{"name", "parent", "uuid", "config.uplinkPortgroup"}},
}

// placement retrieves the placement inventory of the configured datacenter.
func (c *Client) placement(ctx context.Context) (*placementInventory, error) {
	if c.Defaults == nil || c.Defaults.Datacenter.IsZero() {
		return nil, fmt.Errorf("no datacenter is configured")
	}
	content, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, placementSpecs)
	if err != nil {
		return nil, fmt.Errorf("reading the placement inventory: %w", err)
	}
	pi := &placementInventory{
		dc:         c.Defaults.Datacenter,
		nodes:      make(map[types.ManagedObjectReference]node, len(content)),
		hosts:      map[types.ManagedObjectReference]hostInfo{},
		datastores: map[types.ManagedObjectReference]datastoreInfo{},
		switchUUID: map[types.ManagedObjectReference]string{},
	}
	for _, oc := range content {
		m := propsOf(oc)
		parent, _ := ref(m, "parent")
		pi.nodes[oc.Obj] = node{name: str(m, "name"), parent: parent}
		if oc.Obj == c.Defaults.Datacenter.Ref {
			pi.vmFolder, _ = ref(m, "vmFolder")
		}
	}
	for _, oc := range content {
		if !pi.inDatacenter(oc.Obj) {
			continue
		}
		pi.add(oc)
	}
	for i := range pi.networks {
		pi.networks[i].uplink = pi.networks[i].uplink || slices.Contains(pi.uplinks, pi.networks[i].ref)
	}
	pi.folders = slices.DeleteFunc(pi.folders, func(f types.ManagedObjectReference) bool { return !pi.under(f, pi.vmFolder) })
	return pi, nil
}

func (pi *placementInventory) add(oc types.ObjectContent) {
	m := propsOf(oc)
	name := str(m, "name")
	switch oc.Obj.Type {
	case "Folder":
		pi.folders = append(pi.folders, oc.Obj)
	case "ComputeResource", "ClusterComputeResource":
		pool, _ := ref(m, "resourcePool")
		pi.computes = append(pi.computes, computeInfo{ref: oc.Obj, name: name, pool: pool,
			hosts: refs(m, "host"), datastores: refs(m, "datastore"), network: refs(m, "network")})
	case "ResourcePool", "VirtualApp":
		owner, _ := ref(m, "owner")
		pi.pools = append(pi.pools, poolInfo{ref: oc.Obj, owner: owner, name: name})
	case "HostSystem":
		h := hostInfo{name: name, parent: pi.nodes[oc.Obj].parent, datastores: refs(m, "datastore"), network: refs(m, "network")}
		h.maxVCPUs, _ = m["capability.maxSupportedVcpus"].(int32)
		pi.hosts[oc.Obj] = h
	case "Datastore":
		d := datastoreInfo{name: name, maintenance: str(m, "summary.maintenanceMode")}
		d.accessible, _ = m["summary.accessible"].(bool)
		d.free, _ = m["summary.freeSpace"].(int64)
		pi.datastores[oc.Obj] = d
	case "Network", "DistributedVirtualPortgroup", "OpaqueNetwork":
		n := networkInfo{ref: oc.Obj, name: name, key: str(m, "key")}
		n.dvs, _ = ref(m, "config.distributedVirtualSwitch")
		n.uplink, _ = m["config.uplink"].(bool)
		n.opaqueID, n.opaqueType = opaqueSummary(m["summary"])
		pi.networks = append(pi.networks, n)
	case "DistributedVirtualSwitch", "VmwareDistributedVirtualSwitch":
		pi.switchUUID[oc.Obj] = str(m, "uuid")
		pi.uplinks = append(pi.uplinks, refs(m, "config.uplinkPortgroup")...)
	}
}

// opaqueSummary returns an opaque network's id and type from its summary.
func opaqueSummary(v any) (id, kind string) {
	switch s := v.(type) {
	case *types.OpaqueNetworkSummary:
		return s.OpaqueNetworkId, s.OpaqueNetworkType
	case types.OpaqueNetworkSummary:
		return s.OpaqueNetworkId, s.OpaqueNetworkType
	}
	return "", ""
}

func refs(m map[string]any, k string) []types.ManagedObjectReference {
	a, _ := m[k].(types.ArrayOfManagedObjectReference)
	return a.ManagedObjectReference
}

// under reports whether obj is anc or lies below it.
func (pi *placementInventory) under(obj, anc types.ManagedObjectReference) bool {
	for seen := 0; seen < 64 && obj.Value != ""; seen++ {
		if obj == anc {
			return true
		}
		obj = pi.nodes[obj].parent
	}
	return false
}

func (pi *placementInventory) inDatacenter(obj types.ManagedObjectReference) bool {
	return obj != pi.dc.Ref && pi.under(obj, pi.dc.Ref)
}

func (pi *placementInventory) path(obj types.ManagedObjectReference) string {
	inv := vmInventory{nodes: pi.nodes}
	return inv.path(obj)
}

// list formats names for an error message, at most 25 of them.
func list(names []string) string {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	if len(names) == 0 {
		return "(none)"
	}
	if len(names) > 25 {
		return strings.Join(names[:25], ", ") + fmt.Sprintf(" and %d more", len(names)-25)
	}
	return strings.Join(names, ", ")
}
