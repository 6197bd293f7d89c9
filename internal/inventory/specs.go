package inventory

import (
	"github.com/vmware/govmomi/vim25/types"
)

// viewKinds are the types the mirror's container view holds; subtypes come
// with them (ClusterComputeResource, VirtualApp, DistributedVirtualPortgroup,
// OpaqueNetwork, VmwareDistributedVirtualSwitch).
var viewKinds = []string{
	"VirtualMachine", "HostSystem", "ComputeResource", "Datastore", "Network",
	"DistributedVirtualSwitch", "Folder", "Datacenter", "ResourcePool",
}

// propSpecs are the properties mirrored, per type. A property spec of a base
// type applies to its subtypes too, so a cluster gets ComputeResource's
// properties and its own.
var propSpecs = []types.PropertySpec{
	{Type: "VirtualMachine", PathSet: []string{
		// parentVApp before parent: govmomi's simulator matches a change to
		// the paths by prefix, in this order, and would report a parentVApp
		// change as one of parent (vCenter matches exactly).
		"name", "parentVApp", "parent", "runtime.powerState", "runtime.host", "runtime.connectionState",
		"config.hardware.numCPU", "config.hardware.memoryMB", "config.guestFullName", "config.guestId",
		"config.template", "config.uuid", "config.instanceUuid", "guest.ipAddress", "guest.toolsRunningStatus",
		"resourcePool", "datastore", "network",
		// For statistics reads: storage figures, and the device list the
		// mirror keeps only the virtual NICs of (see deviceNICs).
		"summary.storage.committed", "summary.storage.uncommitted", "summary.storage.unshared",
		"storage.perDatastoreUsage", "config.hardware.device",
	}},
	{Type: "HostSystem", PathSet: []string{
		"name", "parent", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
		"summary.hardware", "summary.quickStats.overallCpuUsage", "summary.quickStats.overallMemoryUsage",
		"datastore", "network", "config.network.portgroup",
	}},
	// Not "host": a host knows its compute resource (parent), and govmomi's
	// simulator rewrites a compute resource's host list in place, without a
	// lock readers share, whenever it places a VM (see streamSpec).
	{Type: "ComputeResource", PathSet: []string{"name", "parent", "datastore", "network", "resourcePool"}},
	{Type: "ClusterComputeResource", PathSet: []string{"configurationEx"}},
	{Type: "Datastore", PathSet: []string{"name", "parent", "summary", "host"}},
	{Type: "Network", PathSet: []string{"name", "parent"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{
		"key", "config.distributedVirtualSwitch", "config.defaultPortConfig", "config.uplink",
	}},
	{Type: "OpaqueNetwork", PathSet: []string{"summary"}},
	{Type: "DistributedVirtualSwitch", PathSet: []string{"name"}},
	{Type: "Folder", PathSet: []string{"name", "parent"}},
	{Type: "Datacenter", PathSet: []string{"name", "parent", "vmFolder", "hostFolder", "datastoreFolder", "networkFolder"}},
	{Type: "ResourcePool", PathSet: []string{"name", "parent"}},
	{Type: "VirtualApp", PathSet: []string{"parentFolder"}},
}

// streamSpec selects every object of the inventory with the mirrored
// properties: hosts through a container view of hosts, resource pools and
// vApps through a container view of pools, the VMs of vApps through a
// container view of vApps, everything else by walking the tree from the root
// folder — folders' children and datacenters' four folders.
//
// Why not one container view of everything, as for the fill: govmomi's
// simulator deadlocks a filter on a container view whose contents change (a
// new VM) against its own WaitForUpdatesEx (ContainerView.PutObject holds the
// view and waits for the filter, which WaitForUpdatesEx holds while it waits
// for the view). Why views for hosts and pools: the simulator's walk reads
// the objects it passes through without their locks, and it rewrites a
// compute resource's host list, and a pool's child pools, in place when it
// places a VM or creates a pool; a view is read under its own lock, and the
// views of hosts and pools change only when a host or a pool is added. Why a
// view of vApps of its own: the simulator follows a traversal spec from every
// object it reaches, whatever the spec's type, so the vApps' "vm" traversal
// on the view of pools read every resource pool's VM list, unlocked, while a
// new VM was added to it (createVM, under the pool's lock); vCenter follows a
// traversal spec only from objects of its type. The simulator's views hold
// objects of exactly the types asked for, so its view of vApps holds no plain
// pool (it still reads a vApp's VM list unlocked). On vCenter all of these
// select the same objects (its view of pools holds the vApps too).
func streamSpec(root, hosts, pools, vapps types.ManagedObjectReference) types.PropertyFilterSpec {
	ts := func(name, typ, path string, next ...string) *types.TraversalSpec {
		t := &types.TraversalSpec{SelectionSpec: types.SelectionSpec{Name: name}, Type: typ, Path: path, Skip: types.NewBool(false)}
		for _, n := range next {
			t.SelectSet = append(t.SelectSet, &types.SelectionSpec{Name: n})
		}
		return t
	}
	return types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:  root,
			Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{
				ts("folderChildren", "Folder", "childEntity", "folderChildren", "dcVM", "dcHost", "dcDatastore", "dcNetwork"),
				ts("dcVM", "Datacenter", "vmFolder", "folderChildren"),
				ts("dcHost", "Datacenter", "hostFolder", "folderChildren"),
				ts("dcDatastore", "Datacenter", "datastoreFolder", "folderChildren"),
				ts("dcNetwork", "Datacenter", "networkFolder", "folderChildren"),
			},
		},
			viewObjects(hosts),
			viewObjects(pools),
			// A VM in a vApp has no folder: it is found through its vApp.
			viewObjects(vapps, ts("vAppVMs", "VirtualApp", "vm")),
		},
		PropSet: propSpecs,
	}
}

// filterSpec selects every object of the view with the mirrored properties.
func filterSpec(view types.ManagedObjectReference) types.PropertyFilterSpec {
	return types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{viewObjects(view)}, PropSet: propSpecs}
}

// viewObjects selects the objects of a container view (not the view itself),
// and what next selects from them.
func viewObjects(view types.ManagedObjectReference, next ...types.BaseSelectionSpec) types.ObjectSpec {
	return types.ObjectSpec{
		Obj:       view,
		Skip:      types.NewBool(true),
		SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view", SelectSet: next}},
	}
}

func (s *store) refID(v any) string {
	if r, ok := v.(types.ManagedObjectReference); ok {
		return s.intern(r.Value)
	}
	if r, ok := v.(*types.ManagedObjectReference); ok && r != nil {
		return s.intern(r.Value)
	}
	return ""
}

func (s *store) refIDs(v any) []string {
	a, ok := v.(types.ArrayOfManagedObjectReference)
	if !ok || len(a.ManagedObjectReference) == 0 {
		return nil
	}
	out := make([]string, len(a.ManagedObjectReference))
	for i, r := range a.ManagedObjectReference {
		out[i] = s.intern(r.Value)
	}
	return out
}

// valueOf returns a property's value as a T, given as a T or a non-nil *T
// (which of the two depends on how it was decoded).
func valueOf[T any](v any) (T, bool) {
	switch x := v.(type) {
	case T:
		return x, true
	case *T:
		if x != nil {
			return *x, true
		}
	}
	var zero T
	return zero, false
}

// present reports whether v is a value, not an unset or unreturned property.
func present(v any) bool {
	if _, ok := v.(missing); ok {
		return false
	}
	return v != nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case types.VirtualMachinePowerState:
		return string(x)
	case types.VirtualMachineConnectionState:
		return string(x)
	case types.HostSystemConnectionState:
		return string(x)
	case types.HostSystemPowerState:
		return string(x)
	}
	return ""
}

func asInt32(v any) int32 {
	i, _ := v.(int32)
	return i
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return 0
}

func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

// setVM applies one property value (nil: unset) to a VM.
func (s *store) setVM(vm *VM, name string, v any) {
	switch name {
	case "name":
		vm.Name = asString(v)
	case "parent":
		vm.Parent = s.refID(v)
	case "parentVApp":
		vm.ParentVApp = s.refID(v)
	case "runtime.powerState":
		vm.PowerState = s.intern(asString(v))
	case "runtime.host":
		vm.Host = s.refID(v)
	case "runtime.connectionState":
		vm.ConnectionState = s.intern(asString(v))
	case "config.hardware.numCPU":
		vm.NumCPU = asInt32(v)
	case "config.hardware.memoryMB":
		vm.MemoryMB = asInt32(v)
	case "config.guestFullName":
		vm.GuestFullName = s.intern(asString(v))
	case "config.guestId":
		vm.GuestID = s.intern(asString(v))
	case "config.template":
		vm.Template = asBool(v)
	case "config.uuid":
		vm.UUID = asString(v)
	case "config.instanceUuid":
		vm.InstanceUUID = asString(v)
	case "guest.ipAddress":
		vm.IPAddress = asString(v)
	case "guest.toolsRunningStatus":
		vm.ToolsRunning = s.intern(asString(v))
	case "resourcePool":
		vm.ResourcePool = s.refID(v)
	case "datastore":
		vm.Datastores = s.refIDs(v)
	case "network":
		vm.Networks = s.refIDs(v)
	case "summary.storage.committed":
		// The three figures come and go together with summary.storage.
		vm.Committed, vm.HasStorageSummary = asInt64(v), present(v)
	case "summary.storage.uncommitted":
		vm.Uncommitted = asInt64(v)
	case "summary.storage.unshared":
		vm.Unshared = asInt64(v)
	case "storage.perDatastoreUsage":
		vm.PerDatastore = s.datastoreUsage(v)
	case "config.hardware.device":
		vm.NICs = s.deviceNICs(v)
	}
}

// deviceNICs keeps, of a VM's device list, its virtual NICs' keys, labels
// and MAC addresses: a device list is kilobytes per VM, and nothing else of it
// is read from the mirror.
func (s *store) deviceNICs(v any) []NIC {
	a, _ := valueOf[types.ArrayOfVirtualDevice](v)
	devices := a.VirtualDevice
	n := 0
	for _, d := range devices {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]NIC, 0, n)
	for _, d := range devices {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		e := card.GetVirtualEthernetCard()
		nic := NIC{Key: e.Key, MAC: e.MacAddress}
		if e.DeviceInfo != nil {
			nic.Label = s.intern(e.DeviceInfo.GetDescription().Label)
		}
		out = append(out, nic)
	}
	return out
}

func (s *store) datastoreUsage(v any) []DatastoreUsage {
	a, _ := valueOf[types.ArrayOfVirtualMachineUsageOnDatastore](v)
	usage := a.VirtualMachineUsageOnDatastore
	if len(usage) == 0 {
		return nil
	}
	out := make([]DatastoreUsage, len(usage))
	for i, u := range usage {
		out[i] = DatastoreUsage{Datastore: s.intern(u.Datastore.Value), Committed: u.Committed, Uncommitted: u.Uncommitted, Unshared: u.Unshared}
	}
	return out
}

func (s *store) setHost(h *Host, name string, v any) {
	switch name {
	case "name":
		h.Name = asString(v)
	case "parent":
		h.Parent = s.refID(v)
	case "runtime.connectionState":
		h.ConnectionState = s.intern(asString(v))
	case "runtime.powerState":
		h.PowerState = s.intern(asString(v))
	case "runtime.inMaintenanceMode":
		h.InMaintenanceMode = asBool(v)
	case "summary.hardware":
		hw, _ := valueOf[types.HostHardwareSummary](v)
		h.CPUCores, h.CPUMhz, h.MemoryBytes = hw.NumCpuCores, hw.CpuMhz, hw.MemorySize
	case "summary.quickStats.overallCpuUsage":
		h.CPUUsageMHz = asInt32(v)
	case "summary.quickStats.overallMemoryUsage":
		h.MemoryUsageMB = asInt32(v)
	case "datastore":
		h.Datastores = s.refIDs(v)
	case "network":
		h.Networks = s.refIDs(v)
	case "config.network.portgroup":
		h.PortGroups = nil
		if a, ok := v.(types.ArrayOfHostPortGroup); ok {
			for _, pg := range a.HostPortGroup {
				h.PortGroups = append(h.PortGroups, PortGroup{
					Name: s.intern(pg.Spec.Name), VLAN: pg.Spec.VlanId, VSwitch: s.intern(pg.Spec.VswitchName),
				})
			}
		}
	}
}

func (s *store) setCompute(c *Compute, name string, v any) {
	switch name {
	case "name":
		c.Name = asString(v)
	case "parent":
		c.Parent = s.refID(v)
	case "datastore":
		c.Datastores = s.refIDs(v)
	case "network":
		c.Networks = s.refIDs(v)
	case "resourcePool":
		c.ResourcePool = s.refID(v)
	case "configurationEx":
		cfg, _ := valueOf[types.ClusterConfigInfoEx](v)
		c.DRSEnabled = cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled
	}
}

func (s *store) setDatastore(d *Datastore, name string, v any) {
	switch name {
	case "name":
		d.Name = asString(v)
	case "parent":
		d.Parent = s.refID(v)
	case "summary":
		sum, ok := valueOf[types.DatastoreSummary](v)
		if !ok {
			return
		}
		d.Type, d.Capacity, d.FreeSpace, d.Uncommitted = s.intern(sum.Type), sum.Capacity, sum.FreeSpace, sum.Uncommitted
		d.Accessible, d.MaintenanceMode, d.MultipleHostAccess = sum.Accessible, s.intern(sum.MaintenanceMode), sum.MultipleHostAccess
	case "host":
		d.Mounts = nil
		if a, ok := v.(types.ArrayOfDatastoreHostMount); ok {
			for _, m := range a.DatastoreHostMount {
				d.Mounts = append(d.Mounts, Mount{Host: s.intern(m.Key.Value), Mounted: m.MountInfo.Mounted == nil || *m.MountInfo.Mounted})
			}
		}
	}
}

func (s *store) setNetwork(n *Network, name string, v any) {
	switch name {
	case "name":
		n.Name = asString(v)
	case "parent":
		n.Parent = s.refID(v)
	case "key":
		n.Key = asString(v)
	case "config.distributedVirtualSwitch":
		n.Switch = s.refID(v)
	case "config.uplink":
		n.Uplink = asBool(v)
	case "config.defaultPortConfig":
		ps, _ := valueOf[types.VMwareDVSPortSetting](v)
		n.VLAN = ps.Vlan
	case "summary":
		if sum, ok := valueOf[types.OpaqueNetworkSummary](v); ok {
			n.OpaqueID, n.OpaqueType = sum.OpaqueNetworkId, s.intern(sum.OpaqueNetworkType)
		}
	}
}

func (s *store) setFolder(f *Folder, name string, v any) {
	switch name {
	case "name":
		f.Name = asString(v)
	case "parent":
		f.Parent = s.refID(v)
	}
}

func (s *store) setPool(p *Pool, name string, v any) {
	switch name {
	case "name":
		p.Name = asString(v)
	case "parent":
		p.Parent = s.refID(v)
	case "parentFolder":
		p.ParentFolder = s.refID(v)
	}
}

func (s *store) setDatacenter(d *Datacenter, name string, v any) {
	switch name {
	case "name":
		d.Name = asString(v)
	case "parent":
		d.Parent = s.refID(v)
	case "vmFolder":
		d.VMFolder = s.refID(v)
	case "hostFolder":
		d.HostFolder = s.refID(v)
	case "datastoreFolder":
		d.DatastoreFolder = s.refID(v)
	case "networkFolder":
		d.NetworkFolder = s.refID(v)
	}
}
