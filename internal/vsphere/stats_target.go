package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// A stats read has a budget of three SOAP requests: FindVM (one retrieval),
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
	t := &statsTarget{datastores: map[types.ManagedObjectReference]string{}, catalogue: c.perf.Load()}
	if t.catalogue == nil {
		objects = append(objects, types.ObjectSpec{Obj: *c.vim.ServiceContent.PerfManager})
		props = append(props, types.PropertySpec{Type: "PerformanceManager", PathSet: []string{perfPropCounter, perfPropHistory}})
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{ObjectSet: objects, PropSet: props}}}
	res, err := property.DefaultCollector(c.vim).RetrieveProperties(ctx, req)
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			return nil, &NotFoundError{Kind: "VM", Ref: vm.Value}
		}
		return nil, fmt.Errorf("reading the configuration of VM %s: %w", vm.Value, err)
	}
	found := false
	for _, oc := range res.Returnval {
		obj, err := mo.ObjectContentToType(oc)
		if err != nil {
			return nil, fmt.Errorf("decoding %s %s: %w", oc.Obj.Type, oc.Obj.Value, err)
		}
		switch o := obj.(type) {
		case mo.VirtualMachine:
			t.vm, found = o, true
		case mo.Datastore:
			t.datastores[oc.Obj] = o.Name
		case mo.PerformanceManager:
			t.catalogue = newPerfCatalogue(o.PerfCounter, o.HistoricalInterval)
			c.perf.Store(t.catalogue)
		}
	}
	if !found {
		return nil, &NotFoundError{Kind: "VM", Ref: vm.Value}
	}
	return t, nil
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
