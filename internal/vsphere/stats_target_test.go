package vsphere

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// checkNotes compares notes with wanted substrings, one note each.
func checkNotes(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("notes = %q, want %d", got, len(want))
	}
	for i, w := range want {
		if i < len(got) && !strings.Contains(got[i], w) {
			t.Errorf("note %q lacks %q", got[i], w)
		}
	}
}

// TestStatsTargetFromMirror: the storage figures and notes of a stats read
// come from the mirrored VM. A property vSphere did not return to the mirror
// leaves its figures empty and is named, with why; a datastore the mirror has
// no name for leaves its figures unnamed and is named. The VMs are crafted:
// the simulator cannot refuse one property of one object.
func TestStatsTargetFromMirror(t *testing.T) {
	denied := inventory.Unread{Path: "storage.perDatastoreUsage", Fault: &types.NoPermission{
		Object: &types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}, PrivilegeId: "System.Read"}}
	names := map[string]string{"datastore-1": "LocalDS_0", "datastore-2": "LocalDS_1"}
	base := inventory.VM{
		ID: "vm-7", Name: "web-01", PowerState: "poweredOn", NumCPU: 2, MemoryMB: 4096,
		Committed: 3 << 30, Uncommitted: 2 << 30, Unshared: 1 << 30, HasStorageSummary: true,
		PerDatastore: []inventory.DatastoreUsage{{Datastore: "datastore-2", Committed: 1 << 30}, {Datastore: "datastore-1", Committed: 2 << 30, Uncommitted: 2 << 30, Unshared: 1 << 30}},
		NICs:         []inventory.NIC{{Key: 4000, Label: "Network adapter 1", MAC: "00:50:56:aa:bb:cc"}},
	}
	cases := []struct {
		name   string
		change func(vm *inventory.VM)
		notes  []string
		check  func(t *testing.T, got *statsTarget)
	}{
		{name: "everything mirrored", change: func(*inventory.VM) {}, check: func(t *testing.T, got *statsTarget) {
			s := got.storage
			if s.CommittedGB != 3 || s.UncommittedGB != 2 || s.ProvisionedGB != 5 || s.UnsharedGB != 1 {
				t.Errorf("storage = %+v", s)
			}
			if len(s.Datastores) != 2 || s.Datastores[0].Name != "LocalDS_0" || s.Datastores[0].ProvisionedGB != 4 || s.Datastores[1].ID != "datastore-2" {
				t.Errorf("per datastore = %+v, want both, sorted by name", s.Datastores)
			}
			if got.identity != (VMIdentity{ID: "vm-7", Name: "web-01", Path: "/DC0/vm/web-01"}) || got.numCPU != 2 || len(got.nics) != 1 || !got.hasStorage {
				t.Errorf("target = %+v", got)
			}
		}},
		{name: "a datastore the mirror has no name for",
			change: func(vm *inventory.VM) {
				vm.PerDatastore = append(vm.PerDatastore, inventory.DatastoreUsage{Datastore: "datastore-9", Committed: 1 << 30})
			},
			notes: []string{"has no name for datastore(s) datastore-9"},
			check: func(t *testing.T, got *statsTarget) {
				if len(got.storage.Datastores) != 3 || got.storage.Datastores[0].ID != "datastore-9" || got.storage.Datastores[0].CommittedGB != 1 {
					t.Errorf("per datastore = %+v, want the unnamed one listed with its figures", got.storage.Datastores)
				}
			}},
		{name: "a VM property vSphere did not return",
			change: func(vm *inventory.VM) {
				vm.PerDatastore = nil
				vm.Unread = []inventory.Unread{denied, {Path: "guest.ipAddress"}, {Path: "config.hardware.device"}}
			},
			notes: []string{"did not return storage.perDatastoreUsage, config.hardware.device of the VM (the vCenter user lacks the privilege System.Read on vm-7"},
			check: func(t *testing.T, got *statsTarget) {
				if len(got.storage.Datastores) != 0 || got.storage.Datastores == nil {
					t.Errorf("per datastore = %#v, want empty, not null", got.storage.Datastores)
				}
			}},
		{name: "no storage summary",
			change: func(vm *inventory.VM) {
				vm.Committed, vm.Uncommitted, vm.Unshared, vm.HasStorageSummary = 0, 0, 0, false
			},
			check: func(t *testing.T, got *statsTarget) {
				if got.hasStorage || got.storage.CommittedGB != 0 {
					t.Errorf("target = %+v, want no storage summary", got)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := base
			c.change(&vm)
			got := newStatsTarget(&vm, "/DC0/vm/web-01", func(id string) string { return names[id] })
			checkNotes(t, got.notes, c.notes)
			c.check(t, got)
		})
	}
}

// TestDecodeCatalogue: a catalogue property vSphere could not read is named
// in the notes and the catalogue is not kept; a catalogue not returned at all
// leaves every live figure null, with a note.
func TestDecodeCatalogue(t *testing.T) {
	perf := types.ManagedObjectReference{Type: "PerformanceManager", Value: "PerfMgr"}
	denied := types.MissingProperty{Path: perfPropCounter, Fault: types.LocalizedMethodFault{Fault: &types.NoPermission{Object: &perf, PrivilegeId: "System.Read"}}}
	cases := []struct {
		name     string
		content  []types.ObjectContent
		notes    []string
		complete bool
	}{
		{name: "read whole",
			content:  []types.ObjectContent{{Obj: perf, PropSet: []types.DynamicProperty{{Name: perfPropCounter, Val: types.ArrayOfPerfCounterInfo{}}}}},
			complete: true},
		{name: "denied",
			content: []types.ObjectContent{{Obj: perf, MissingSet: []types.MissingProperty{denied}}},
			notes:   []string{"did not return perfCounter of the performance manager (the vCenter user lacks the privilege System.Read on PerfMgr"}},
		{name: "not returned",
			notes: []string{"did not return the performance counter catalogue"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat, complete, notes, err := decodeCatalogue(c.content)
			if err != nil {
				t.Fatal(err)
			}
			if cat == nil || complete != c.complete {
				t.Errorf("catalogue %v, complete %v; want one, complete %v", cat, complete, c.complete)
			}
			checkNotes(t, notes, c.notes)
		})
	}
}

// TestVMGone: a performance query's ManagedObjectNotFound means the VM is
// gone only when it names the VM (a session's collector can be "not found" too).
func TestVMGone(t *testing.T) {
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}
	pc := types.ManagedObjectReference{Type: "PropertyCollector", Value: "session[x]y"}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{soap.WrapVimFault(&types.ManagedObjectNotFound{Obj: vm}), true},
		{fmt.Errorf("querying: %w", soap.WrapVimFault(&types.ManagedObjectNotFound{Obj: vm})), true},
		{soap.WrapVimFault(&types.ManagedObjectNotFound{Obj: pc}), false},
		{soap.WrapVimFault(&types.SystemError{}), false},
	} {
		if got := vmGone(c.err, vm); got != c.want {
			t.Errorf("vmGone(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
