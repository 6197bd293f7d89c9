package vsphere

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// TestNewStatsTargetToleratesMissingProperties: a property vSphere could not
// read (a permission fault on a datastore reached through the VM, say) leaves
// its figures empty and is named in the notes; only a VM that is not there
// fails the read. The retrievals are crafted: the simulator cannot refuse one
// property of one object.
func TestNewStatsTargetToleratesMissingProperties(t *testing.T) {
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}
	ds1 := types.ManagedObjectReference{Type: "Datastore", Value: "datastore-1"}
	ds2 := types.ManagedObjectReference{Type: "Datastore", Value: "datastore-2"}
	perf := types.ManagedObjectReference{Type: "PerformanceManager", Value: "PerfMgr"}
	denied := func(obj types.ManagedObjectReference, path string) types.MissingProperty {
		return types.MissingProperty{Path: path, Fault: types.LocalizedMethodFault{Fault: &types.NoPermission{Object: &obj, PrivilegeId: "System.Read"}}}
	}
	vmContent := func(usage []types.ManagedObjectReference, missing ...types.MissingProperty) types.ObjectContent {
		var perDS []types.VirtualMachineUsageOnDatastore
		for _, ds := range usage {
			perDS = append(perDS, types.VirtualMachineUsageOnDatastore{Datastore: ds, Committed: 1 << 30})
		}
		return types.ObjectContent{Obj: vm, PropSet: []types.DynamicProperty{
			{Name: "name", Val: "web-01"},
			{Name: "runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOff},
			{Name: "storage.perDatastoreUsage", Val: types.ArrayOfVirtualMachineUsageOnDatastore{VirtualMachineUsageOnDatastore: perDS}},
		}, MissingSet: missing}
	}
	named := func(ds types.ManagedObjectReference, name string) types.ObjectContent {
		return types.ObjectContent{Obj: ds, PropSet: []types.DynamicProperty{{Name: "name", Val: name}}}
	}
	cached := newPerfCatalogue(nil, nil)

	cases := []struct {
		name       string
		content    []types.ObjectContent
		cached     *perfCatalogue
		notFound   bool
		notes      []string // substrings, one note each
		datastores map[types.ManagedObjectReference]string
		complete   bool
	}{
		{name: "everything readable",
			content:    []types.ObjectContent{vmContent([]types.ManagedObjectReference{ds1}), named(ds1, "LocalDS_0")},
			cached:     cached,
			datastores: map[types.ManagedObjectReference]string{ds1: "LocalDS_0"}},
		{name: "a datastore's name denied",
			content: []types.ObjectContent{vmContent([]types.ManagedObjectReference{ds1, ds2}), named(ds1, "LocalDS_0"),
				{Obj: ds2, MissingSet: []types.MissingProperty{denied(ds2, "name")}}},
			cached:     cached,
			notes:      []string{"did not return name of datastore datastore-2 (the vCenter user lacks the privilege System.Read on datastore-2"},
			datastores: map[types.ManagedObjectReference]string{ds1: "LocalDS_0"}},
		{name: "a datastore not returned at all",
			content:    []types.ObjectContent{vmContent([]types.ManagedObjectReference{ds1, ds2}), named(ds1, "LocalDS_0")},
			cached:     cached,
			notes:      []string{"returned nothing about datastore(s) datastore-2"},
			datastores: map[types.ManagedObjectReference]string{ds1: "LocalDS_0"}},
		{name: "a VM property denied",
			content:    []types.ObjectContent{vmContent(nil, denied(vm, "summary.storage"), denied(vm, "config.hardware.device"))},
			cached:     cached,
			notes:      []string{"did not return summary.storage, config.hardware.device of the VM (the vCenter user lacks the privilege System.Read on vm-7"},
			datastores: map[types.ManagedObjectReference]string{}},
		{name: "catalogue read whole",
			content:    []types.ObjectContent{vmContent(nil), {Obj: perf, PropSet: []types.DynamicProperty{{Name: perfPropCounter, Val: types.ArrayOfPerfCounterInfo{}}}}},
			datastores: map[types.ManagedObjectReference]string{},
			complete:   true},
		{name: "catalogue denied",
			content:    []types.ObjectContent{vmContent(nil), {Obj: perf, MissingSet: []types.MissingProperty{denied(perf, perfPropCounter)}}},
			notes:      []string{"did not return perfCounter of the performance manager"},
			datastores: map[types.ManagedObjectReference]string{}},
		{name: "catalogue not returned",
			content:    []types.ObjectContent{vmContent(nil)},
			notes:      []string{"did not return the performance counter catalogue"},
			datastores: map[types.ManagedObjectReference]string{}},
		{name: "VM gone",
			content: []types.ObjectContent{{Obj: vm, MissingSet: []types.MissingProperty{
				{Path: "name", Fault: types.LocalizedMethodFault{Fault: &types.ManagedObjectNotFound{Obj: vm}}}}}},
			cached: cached, notFound: true},
		{name: "VM not returned",
			content: []types.ObjectContent{named(ds1, "LocalDS_0")},
			cached:  cached, notFound: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, complete, err := newStatsTarget(vm, c.content, c.cached)
			var nf *NotFoundError
			if c.notFound {
				if !errors.As(err, &nf) {
					t.Fatalf("err = %v, want a NotFoundError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("newStatsTarget: %v", err)
			}
			if got.vm.Name != "web-01" || got.catalogue == nil {
				t.Errorf("target = %+v; want the VM decoded and a catalogue", got)
			}
			if len(got.notes) != len(c.notes) {
				t.Errorf("notes = %q, want %d", got.notes, len(c.notes))
			}
			for i, want := range c.notes {
				if i < len(got.notes) && !strings.Contains(got.notes[i], want) {
					t.Errorf("note %q lacks %q", got.notes[i], want)
				}
			}
			if len(got.datastores) != len(c.datastores) {
				t.Errorf("datastores = %v, want %v", got.datastores, c.datastores)
			}
			for ref, name := range c.datastores {
				if got.datastores[ref] != name {
					t.Errorf("datastore %s named %q, want %q", ref.Value, got.datastores[ref], name)
				}
			}
			if complete != c.complete {
				t.Errorf("complete = %v, want %v", complete, c.complete)
			}
		})
	}
}
