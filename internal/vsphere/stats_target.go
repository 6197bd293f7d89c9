package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// A stats read has a budget of three SOAP requests: resolveVM (one retrieval),
// statsTarget (one retrieval: the VM's configuration and storage, the names of
// its datastores and, on a Client's first read, the counter catalogue) and the
// performance query.

// statsVMProps are the VM properties a stats read reports or needs for its query.
var statsVMProps = []string{
	"name", "runtime.powerState", "config.hardware.numCPU", "config.hardware.memoryMB",
	"config.hardware.device", "summary.storage", "storage.perDatastoreUsage",
}

// statsTarget is what a stats read knows about its VM before querying samples.
type statsTarget struct {
	vm         mo.VirtualMachine
	datastores map[types.ManagedObjectReference]string // names of the VM's datastores
	catalogue  *perfCatalogue
	// notes say which properties vSphere did not return (a permission the
	// user lacks on a datastore, say) and what that leaves empty.
	notes []string
}

// loadStatsTarget reads the VM's configuration, storage and datastore names
// (and the counter catalogue when the Client has none yet) in one request.
func (c *Client) loadStatsTarget(ctx context.Context, vm types.ManagedObjectReference) (*statsTarget, error) {
	objects := []types.ObjectSpec{{
		Obj:       vm,
		SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "VirtualMachine", Path: "datastore"}},
	}}
	props := []types.PropertySpec{
		{Type: "VirtualMachine", PathSet: statsVMProps},
		{Type: "Datastore", PathSet: []string{"name"}},
	}
	cached := c.perf.Load()
	if cached == nil {
		objects = append(objects, types.ObjectSpec{Obj: *c.vim.ServiceContent.PerfManager})
		props = append(props, types.PropertySpec{Type: "PerformanceManager", PathSet: []string{perfPropCounter, perfPropHistory}})
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{ObjectSet: objects, PropSet: props}}}
	res, err := property.DefaultCollector(c.vim).RetrieveProperties(ctx, req)
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			return nil, &NotFoundError{Kind: "VM", Ref: vm.Value}
		}
		return nil, describeFault(fmt.Sprintf("reading the configuration of VM %s", vm.Value), err)
	}
	t, complete, err := newStatsTarget(vm, res.Returnval, cached)
	if err != nil {
		return nil, err
	}
	if cached == nil && complete {
		c.perf.Store(t.catalogue)
	}
	return t, nil
}

// newStatsTarget decodes a stats read's retrieval. A property vSphere could not
// read is left empty and named in the notes rather than failing the read; only
// a VM that is not there is an error. complete reports whether a catalogue read
// here is whole, and so worth keeping.
func newStatsTarget(vm types.ManagedObjectReference, content []types.ObjectContent, cached *perfCatalogue) (t *statsTarget, complete bool, err error) {
	t = &statsTarget{datastores: map[types.ManagedObjectReference]string{}, catalogue: cached}
	found := false
	seen := map[types.ManagedObjectReference]bool{}
	for _, oc := range content {
		seen[oc.Obj] = true
		if oc.Obj == vm && objectGone(oc) {
			return nil, false, &NotFoundError{Kind: "VM", Ref: vm.Value}
		}
		obj, err := decodeObject(oc)
		if err != nil {
			return nil, false, fmt.Errorf("decoding %s %s: %w", oc.Obj.Type, oc.Obj.Value, err)
		}
		switch o := obj.(type) {
		case mo.VirtualMachine:
			t.vm, found = o, true
			t.noteMissing(oc, "of the VM", "the figures that come from them are empty")
		case mo.Datastore:
			if o.Name != "" {
				t.datastores[oc.Obj] = o.Name
			}
			t.noteMissing(oc, "of datastore "+oc.Obj.Value, "its storage figures have no name")
		case mo.PerformanceManager:
			t.catalogue = newPerfCatalogue(o.PerfCounter, o.HistoricalInterval)
			complete = len(oc.MissingSet) == 0
			t.noteMissing(oc, "of the performance manager", "live figures may be null")
		}
	}
	if !found {
		return nil, false, &NotFoundError{Kind: "VM", Ref: vm.Value}
	}
	if t.catalogue == nil {
		t.catalogue = newPerfCatalogue(nil, nil)
		t.notes = append(t.notes, "vSphere did not return the performance counter catalogue: live figures are null")
	}
	if t.vm.Storage != nil {
		var unnamed []string
		for _, u := range t.vm.Storage.PerDatastoreUsage {
			if !seen[u.Datastore] {
				unnamed = append(unnamed, u.Datastore.Value)
			}
		}
		if len(unnamed) > 0 {
			t.notes = append(t.notes, fmt.Sprintf("vSphere returned nothing about datastore(s) %s (the VM's datastore property may be unreadable): their storage figures have no name",
				strings.Join(unnamed, ", ")))
		}
	}
	return t, complete, nil
}

// objectGone reports whether vSphere answered for an object that no longer exists.
func objectGone(oc types.ObjectContent) bool {
	for _, m := range oc.MissingSet {
		if _, ok := m.Fault.Fault.(*types.ManagedObjectNotFound); ok {
			return true
		}
	}
	return false
}

// noteMissing adds a note naming the properties of oc vSphere did not return, and why.
func (t *statsTarget) noteMissing(oc types.ObjectContent, of, consequence string) {
	if len(oc.MissingSet) == 0 {
		return
	}
	var paths, reasons []string
	for _, m := range oc.MissingSet {
		paths = append(paths, m.Path)
		if r := missingReason(m); !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	t.notes = append(t.notes, fmt.Sprintf("vSphere did not return %s %s (%s): %s",
		strings.Join(paths, ", "), of, strings.Join(reasons, "; "), consequence))
}

func missingReason(m types.MissingProperty) string {
	if m.Fault.Fault == nil {
		return "no reason given"
	}
	if r, ok := faultReason(soap.WrapVimFault(m.Fault.Fault)); ok {
		return r
	}
	return faultName(m.Fault.Fault)
}

// vNIC is a virtual network adapter of the VM: its device key is the
// performance instance of its network counters.
type vNIC struct {
	key   int32
	label string
	mac   string
}

func (t *statsTarget) nics() []vNIC {
	if t.vm.Config == nil {
		return nil
	}
	var out []vNIC
	for _, d := range t.vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		e := card.GetVirtualEthernetCard()
		n := vNIC{key: e.Key, mac: e.MacAddress}
		if e.DeviceInfo != nil {
			n.label = e.DeviceInfo.GetDescription().Label
		}
		out = append(out, n)
	}
	return out
}
