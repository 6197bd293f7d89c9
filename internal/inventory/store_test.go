package inventory

import (
	"slices"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// TestVAppPaths: in vCenter a VM inside a vApp has no parent, only parentVApp,
// and the vApp sits in the VM folder tree under its parentFolder. (The
// simulator files vApp VMs straight into a folder, so this is checked on
// properties as vCenter sends them.)
func TestVAppPaths(t *testing.T) {
	mor := func(typ, val string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: typ, Value: val}
	}
	s := newStore()
	dc, vmFolder, apps := mor("Datacenter", "dc-1"), mor("Folder", "group-v1"), mor("Folder", "group-v9")
	pool, vapp, vm := mor("ResourcePool", "resgroup-1"), mor("VirtualApp", "resgroup-v5"), mor("VirtualMachine", "vm-7")
	s.apply(dc, []change{{"name", "DC0"}}, true)
	s.apply(vmFolder, []change{{"name", "vm"}, {"parent", dc}}, true)
	s.apply(apps, []change{{"name", "apps"}, {"parent", vmFolder}}, true)
	s.apply(pool, []change{{"name", "Resources"}}, true)
	s.apply(vapp, []change{{"name", "shop"}, {"parent", pool}, {"parentFolder", apps}}, true)
	s.apply(vm, []change{{"name", "web-01"}, {"parentVApp", vapp}}, true)
	if got := s.path("vm-7"); got != "/DC0/vm/apps/shop/web-01" {
		t.Fatalf("vApp VM path = %q", got)
	}
	if !s.under("vm-7", "group-v9") || s.under("vm-7", "resgroup-1") {
		t.Error("a vApp VM is below the vApp's parent folder, not the vApp's parent pool, in the VM tree")
	}
}

// TestSortKeysAtVersion: a walk sorts VMs by the keys they had when it began.
func TestSortKeysAtVersion(t *testing.T) {
	s := newStore()
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-1"}
	s.version++
	s.apply(vm, []change{{"name", "aa"}, {"config.hardware.numCPU", int32(1)}}, true)
	s.logActive = true
	walk := s.version
	s.version++
	s.apply(vm, []change{{"name", "zz"}}, false)
	s.version++
	s.apply(vm, []change{{"name", "mm"}, {"config.hardware.numCPU", int32(8)}}, false)
	s.version++
	s.apply(types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-2"}, []change{{"name", "new"}}, true)

	if k, ok := s.keysAt(s.vms["vm-1"], walk); !ok || k.Name != "aa" || k.NumCPU != 1 {
		t.Errorf("keys at the walk's start = %+v, %v; want aa, 1 CPU", k, ok)
	}
	if k, ok := s.keysAt(s.vms["vm-1"], walk+1); !ok || k.Name != "zz" {
		t.Errorf("keys after the first rename = %+v, %v; want zz", k, ok)
	}
	if k, ok := s.keysAt(s.vms["vm-1"], s.version); !ok || k.Name != "mm" || k.NumCPU != 8 {
		t.Errorf("current keys = %+v, %v", k, ok)
	}
	if _, ok := s.keysAt(s.vms["vm-2"], walk); ok {
		t.Error("a VM created after the walk began is part of it")
	}
	if got := s.byName["mm"]; len(got) != 1 || len(s.byName["aa"]) != 0 || len(s.byName["zz"]) != 0 {
		t.Errorf("name index after renames: %v", s.byName)
	}
}

// TestStatsProperties: of a device list the mirror keeps the virtual NICs
// (key, label, MAC) only; storage per datastore is kept compact; a property
// vSphere did not return is remembered with its fault until it is reported
// again, and a full report starts afresh.
func TestStatsProperties(t *testing.T) {
	s := newStore()
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}
	nic := &types.VirtualE1000{}
	nic.Key, nic.MacAddress, nic.DeviceInfo = 4000, "00:50:56:aa:bb:cc", &types.Description{Label: "Network adapter 1"}
	devices := types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{
		&types.VirtualDisk{VirtualDevice: types.VirtualDevice{Key: 2000, DeviceInfo: &types.Description{Label: "Hard disk 1"}}},
		nic,
		&types.VirtualCdrom{VirtualDevice: types.VirtualDevice{Key: 3000}},
	}}
	ds := types.ManagedObjectReference{Type: "Datastore", Value: "datastore-1"}
	denied := missing{&types.NoPermission{PrivilegeId: "System.Read"}}
	s.apply(vm, []change{
		{"name", "web-01"},
		{"config.hardware.device", devices},
		{"summary.storage.committed", int64(3 << 30)},
		{"summary.storage.unshared", int64(1 << 30)},
		{"storage.perDatastoreUsage", types.ArrayOfVirtualMachineUsageOnDatastore{VirtualMachineUsageOnDatastore: []types.VirtualMachineUsageOnDatastore{
			{Datastore: ds, Committed: 3 << 30, Uncommitted: 2 << 30, Unshared: 1 << 30}}}},
		{"config.hardware.numCPU", denied},
	}, true)
	got := s.vms["vm-7"]
	if want := []NIC{{Key: 4000, Label: "Network adapter 1", MAC: "00:50:56:aa:bb:cc"}}; !slices.Equal(got.NICs, want) {
		t.Errorf("NICs = %+v, want %+v", got.NICs, want)
	}
	if want := []DatastoreUsage{{"datastore-1", 3 << 30, 2 << 30, 1 << 30}}; !slices.Equal(got.PerDatastore, want) {
		t.Errorf("per datastore = %+v, want %+v", got.PerDatastore, want)
	}
	if !got.HasStorageSummary || got.Committed != 3<<30 || got.Unshared != 1<<30 {
		t.Errorf("storage summary = %v %d %d", got.HasStorageSummary, got.Committed, got.Unshared)
	}
	if len(got.Unread) != 1 || got.Unread[0].Path != "config.hardware.numCPU" || got.Unread[0].Fault == nil {
		t.Errorf("unread = %+v, want numCPU with its fault", got.Unread)
	}

	held := got.Unread
	s.apply(vm, []change{{"config.hardware.numCPU", int32(2)}, {"storage.perDatastoreUsage", denied}}, false)
	if u := s.vms["vm-7"].Unread; len(u) != 1 || u[0].Path != "storage.perDatastoreUsage" || s.vms["vm-7"].PerDatastore != nil {
		t.Errorf("after numCPU was read and the usage was not: unread %+v, usage %+v", u, s.vms["vm-7"].PerDatastore)
	}
	if held[0].Path != "config.hardware.numCPU" {
		t.Error("the unread list a reader held was changed in place")
	}
	s.apply(vm, []change{{"summary.storage.committed", nil}}, false)
	if s.vms["vm-7"].HasStorageSummary {
		t.Error("an unset summary.storage still reported")
	}
	s.apply(vm, []change{{"name", "web-01"}}, true)
	if v := s.vms["vm-7"]; v.Unread != nil || v.NICs != nil {
		t.Errorf("a full report kept %+v and %+v", v.Unread, v.NICs)
	}
}

// TestValueOf: a property's value is taken as a T or a non-nil *T; a nil
// pointer or another type gives the zero value (and no panic).
func TestValueOf(t *testing.T) {
	sum := types.DatastoreSummary{Name: "ds", Capacity: 7}
	tests := []struct {
		name string
		v    any
		ok   bool
	}{
		{"a value", sum, true},
		{"a pointer", &sum, true},
		{"a nil pointer", (*types.DatastoreSummary)(nil), false},
		{"another type", types.HostHardwareSummary{}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		got, ok := valueOf[types.DatastoreSummary](tt.v)
		if ok != tt.ok || (ok && got != sum) || (!ok && got != (types.DatastoreSummary{})) {
			t.Errorf("%s: valueOf = %+v, %v; want ok %v", tt.name, got, ok, tt.ok)
		}
	}
}

// TestStreamSpecReachesVAppVMs: on vCenter a VM in a vApp is in no folder,
// so the update stream reaches it only through its vApp's "vm" list. The
// simulator files such VMs in folders too, so no test through it would fail
// without this traversal; this checks the spec itself.
func TestStreamSpecReachesVAppVMs(t *testing.T) {
	ref := func(v string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: "ContainerView", Value: v}
	}
	spec := streamSpec(types.ManagedObjectReference{Type: "Folder", Value: "group-d1"}, ref("hosts"), ref("pools"), ref("vapps"))
	for _, o := range spec.ObjectSet {
		if o.Obj.Value != "vapps" {
			continue
		}
		for _, sel := range o.SelectSet {
			view, ok := sel.(*types.TraversalSpec)
			if !ok || view.Type != "ContainerView" || view.Path != "view" {
				continue
			}
			for _, next := range view.SelectSet {
				if ts, ok := next.(*types.TraversalSpec); ok && ts.Type == "VirtualApp" && ts.Path == "vm" && !*ts.Skip {
					return
				}
			}
		}
	}
	t.Fatalf("the stream's spec does not traverse the view of vApps to their VMs: %+v", spec.ObjectSet)
}
