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
	hostFolder types.ManagedObjectReference
	nodes      map[types.ManagedObjectReference]node // every object's name and parent, for paths
	folders    []types.ManagedObjectReference        // VM folders of the datacenter, vmFolder included
	computes   []computeInfo
	pools      []poolInfo
	hosts      map[types.ManagedObjectReference]hostInfo
	datastores map[types.ManagedObjectReference]datastoreInfo
	networks   []networkInfo
	switchUUID map[types.ManagedObjectReference]string
	uplinks    []types.ManagedObjectReference // uplink port groups, not for VMs
	// vappFolders are the VM folders vApps sit in (their parentFolder); a
	// nested vApp has none.
	vappFolders map[types.ManagedObjectReference]types.ManagedObjectReference
}

type computeInfo struct {
	ref                        types.ManagedObjectReference
	name                       string
	pool                       types.ManagedObjectReference
	hosts, datastores, network []types.ManagedObjectReference
	// drsOff: a cluster without DRS, where vCenter needs a host for every
	// new VM (see chooseHost).
	drsOff bool
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
	connection          string
	maintenance         bool
	freeMemoryMB        int64 // memory size less the memory in use
}

type datastoreInfo struct {
	name        string
	accessible  bool
	free        int64
	maintenance string
}

// usable: a new VM may go there. The one rule for every placement.
func (d datastoreInfo) usable() bool { return d.problem() == "" }

// problem says why a datastore is not usable; "" when it is.
func (d datastoreInfo) problem() string {
	if !d.accessible {
		return "inaccessible"
	}
	switch d.maintenance {
	case "", string(types.DatastoreSummaryMaintenanceModeStateNormal):
		return ""
	case string(types.DatastoreSummaryMaintenanceModeStateInMaintenance):
		return "in maintenance mode"
	case string(types.DatastoreSummaryMaintenanceModeStateEnteringMaintenance):
		return "entering maintenance mode"
	}
	return "in maintenance state " + d.maintenance
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
	{Type: "Datacenter", PathSet: []string{"name", "parent", "vmFolder", "hostFolder"}},
	{Type: "ComputeResource", PathSet: []string{"name", "parent", "resourcePool", "host", "datastore", "network"}},
	{Type: "ResourcePool", PathSet: []string{"name", "parent", "owner"}},
	{Type: "VirtualApp", PathSet: []string{"parentFolder"}},                // a kind of ResourcePool
	{Type: "ClusterComputeResource", PathSet: []string{"configurationEx"}}, // DRS on or off
	{Type: "HostSystem", PathSet: []string{"name", "parent", "datastore", "network", "capability.maxSupportedVcpus",
		"runtime.connectionState", "runtime.inMaintenanceMode", "summary.hardware.memorySize", "summary.quickStats.overallMemoryUsage"}},
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
	content, err := c.retrievePlacement(ctx)
	if err != nil {
		return nil, err
	}
	return newPlacementInventory(content, c.Defaults.Datacenter.Ref), nil
}

// retrievePlacement reads placementSpecs for the whole inventory, every
// datacenter's, in one property retrieval.
func (c *Client) retrievePlacement(ctx context.Context) ([]types.ObjectContent, error) {
	content, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, placementSpecs)
	if err != nil {
		return nil, fmt.Errorf("reading the placement inventory: %w", err)
	}
	return content, nil
}

// newPlacementInventory indexes what lies in datacenter dc, wherever the
// datacenter sits among folders.
func newPlacementInventory(content []types.ObjectContent, dc types.ManagedObjectReference) *placementInventory {
	pi := &placementInventory{
		nodes:       make(map[types.ManagedObjectReference]node, len(content)),
		hosts:       map[types.ManagedObjectReference]hostInfo{},
		datastores:  map[types.ManagedObjectReference]datastoreInfo{},
		switchUUID:  map[types.ManagedObjectReference]string{},
		vappFolders: map[types.ManagedObjectReference]types.ManagedObjectReference{},
	}
	for _, oc := range content {
		m := propsOf(oc)
		parent, _ := ref(m, "parent")
		pi.nodes[oc.Obj] = node{name: str(m, "name"), parent: parent}
		if oc.Obj == dc {
			pi.vmFolder, _ = ref(m, "vmFolder")
			pi.hostFolder, _ = ref(m, "hostFolder")
		}
	}
	pi.dc = Named{Ref: dc, Name: pi.nodes[dc].name}
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
	return pi
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
			hosts: refs(m, "host"), datastores: refs(m, "datastore"), network: refs(m, "network"),
			drsOff: oc.Obj.Type == "ClusterComputeResource" && !drsEnabled(m["configurationEx"])})
	case "ResourcePool", "VirtualApp":
		owner, _ := ref(m, "owner")
		pi.pools = append(pi.pools, poolInfo{ref: oc.Obj, owner: owner, name: name})
		if f, ok := ref(m, "parentFolder"); ok {
			pi.vappFolders[oc.Obj] = f
		}
	case "HostSystem":
		h := hostInfo{name: name, parent: pi.nodes[oc.Obj].parent, datastores: refs(m, "datastore"), network: refs(m, "network")}
		h.maxVCPUs, _ = m["capability.maxSupportedVcpus"].(int32)
		h.connection = connectionState(m["runtime.connectionState"])
		h.maintenance, _ = m["runtime.inMaintenanceMode"].(bool)
		size, _ := m["summary.hardware.memorySize"].(int64)
		used, _ := m["summary.quickStats.overallMemoryUsage"].(int32)
		h.freeMemoryMB = size>>20 - int64(used)
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

// folderOfVApp is the VM folder a new VM goes to when it goes into vApp: the
// vApp's own folder, else (a vApp nested in another) the datacenter's.
func (pi *placementInventory) folderOfVApp(vapp types.ManagedObjectReference) types.ManagedObjectReference {
	if f, ok := pi.vappFolders[vapp]; ok {
		return f
	}
	return pi.vmFolder
}

func (pi *placementInventory) path(obj types.ManagedObjectReference) string {
	inv := vmInventory{nodes: pi.nodes}
	return inv.path(obj)
}

// byName returns the index of the one item called name. No match is an
// error that lists the names there are; several, one that lists their ids.
func byName[T any](kind, name, where string, items []T, id func(T) (string, types.ManagedObjectReference)) (int, error) {
	var found []int
	names := make([]string, 0, len(items))
	for i, it := range items {
		n, _ := id(it)
		names = append(names, n)
		if n == name {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return -1, fmt.Errorf("%s %q not found%s; available: %s", kind, name, where, list(names))
	}
	ids := make([]string, len(found))
	for i, f := range found {
		_, r := id(items[f])
		ids[i] = r.Value
	}
	return -1, fmt.Errorf("%s name %q matches %d objects%s (ids %s); rename one", kind, name, len(found), where, strings.Join(ids, ", "))
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
