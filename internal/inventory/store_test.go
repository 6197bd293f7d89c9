package inventory

import (
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
