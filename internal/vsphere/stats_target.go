package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// A stats read makes one SOAP request at steady state: the performance query,
// skipped for a VM that is not powered on. The VM, its CPUs and memory, its
// virtual NICs, its storage and the names of its datastores come from the
// inventory mirror, as every other read's VM does. The counter catalogue costs
// one retrieval on a Client's first read of a powered-on VM, and is kept.

// statsProps are the mirrored VM properties a stats read reports or needs
// for its query; the notes name those vSphere did not return.
var statsProps = []string{
	"name", "runtime.powerState", "config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"summary.storage.committed", "summary.storage.uncommitted", "summary.storage.unshared", "storage.perDatastoreUsage",
}

// statsTarget is what a stats read knows about its VM before querying samples.
type statsTarget struct {
	ref        types.ManagedObjectReference
	identity   VMIdentity
	powerState string
	numCPU     int32
	memoryMB   int32
	nics       []inventory.NIC
	storage    StorageStats
	// hasStorage is false when vSphere reports no storage summary.
	hasStorage bool
	catalogue  *perfCatalogue
	// notes say which properties vSphere did not return (a permission the
	// user lacks, say) and what that leaves empty.
	notes []string
}

// statsTarget finds the VM a reference means in the inventory mirror and
// copies out what a stats read needs: no request to vCenter.
func (c *Client) statsTarget(ctx context.Context, reference string) (*statsTarget, error) {
	var t *statsTarget
	err := c.withVM(ctx, reference, func(v *inventory.View, vm *inventory.VM) {
		t = newStatsTarget(vm, v.Path(vm.ID), func(id string) string {
			if ds := v.Datastore(id); ds != nil {
				return ds.Name
			}
			return ""
		})
	})
	return t, err
}

// newStatsTarget copies a mirrored VM; datastoreName names a datastore id
// ("" when the mirror has no name for it).
func newStatsTarget(vm *inventory.VM, path string, datastoreName func(id string) string) *statsTarget {
	t := &statsTarget{
		ref:        types.ManagedObjectReference{Type: "VirtualMachine", Value: vm.ID},
		identity:   VMIdentity{ID: vm.ID, Name: vm.Name, Path: path},
		powerState: vm.PowerState,
		numCPU:     vm.NumCPU,
		memoryMB:   vm.MemoryMB,
		nics:       vm.NICs,
		hasStorage: vm.HasStorageSummary,
		storage:    StorageStats{Datastores: []DatastoreUsage{}},
	}
	t.noteUnread(vm.Unread)
	if vm.HasStorageSummary {
		s := &t.storage
		s.CommittedGB, s.UncommittedGB = gb(vm.Committed), gb(vm.Uncommitted)
		s.ProvisionedGB, s.UnsharedGB = gb(vm.Committed+vm.Uncommitted), gb(vm.Unshared)
	}
	var unnamed []string
	for _, u := range vm.PerDatastore {
		name := datastoreName(u.Datastore)
		if name == "" {
			unnamed = append(unnamed, u.Datastore)
		}
		t.storage.Datastores = append(t.storage.Datastores, DatastoreUsage{
			ID:            u.Datastore,
			Name:          name,
			CommittedGB:   gb(u.Committed),
			UncommittedGB: gb(u.Uncommitted),
			ProvisionedGB: gb(u.Committed + u.Uncommitted),
			UnsharedGB:    gb(u.Unshared),
		})
	}
	slices.SortFunc(t.storage.Datastores, func(a, b DatastoreUsage) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if len(unnamed) > 0 {
		t.notes = append(t.notes, fmt.Sprintf("the server's inventory has no name for datastore(s) %s (the vCenter user may not be allowed to see them, or they are new): their storage figures have no name",
			strings.Join(unnamed, ", ")))
	}
	return t
}

// noteUnread adds a note naming the stats properties vSphere did not return, and why.
func (t *statsTarget) noteUnread(unread []inventory.Unread) {
	var stats []inventory.Unread
	for _, u := range unread {
		if slices.Contains(statsProps, u.Path) {
			stats = append(stats, u)
		}
	}
	if n := unreadNote(stats, "of the VM", "the figures that come from them are empty"); n != "" {
		t.notes = append(t.notes, n)
	}
}

// perfCatalogue returns the counter catalogue, reading it on the Client's
// first need (one retrieval) and keeping it when it was read whole. notes say
// what vSphere did not return of it.
func (c *Client) perfCatalogue(ctx context.Context) (cat *perfCatalogue, notes []string, err error) {
	if cat := c.perf.Load(); cat != nil {
		return cat, nil, nil
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{Obj: *c.vim.ServiceContent.PerfManager}},
		PropSet:   []types.PropertySpec{{Type: "PerformanceManager", PathSet: []string{perfPropCounter, perfPropHistory}}},
	}}}
	res, err := property.DefaultCollector(c.vim).RetrieveProperties(ctx, req)
	if err != nil {
		return nil, nil, describeFault("reading the performance counter catalogue", err)
	}
	cat, complete, notes, err := decodeCatalogue(res.Returnval)
	if err != nil {
		return nil, nil, err
	}
	if complete {
		c.perf.Store(cat)
	}
	return cat, notes, nil
}

// decodeCatalogue decodes the performance manager's retrieval. A property
// vSphere could not read is left empty and named in the notes rather than
// failing the read; complete reports whether the catalogue is whole, and so
// worth keeping.
func decodeCatalogue(content []types.ObjectContent) (cat *perfCatalogue, complete bool, notes []string, err error) {
	for _, oc := range content {
		obj, err := decodeObject(oc)
		if err != nil {
			return nil, false, nil, fmt.Errorf("decoding %s %s: %w", oc.Obj.Type, oc.Obj.Value, err)
		}
		if o, ok := obj.(mo.PerformanceManager); ok {
			cat, complete = newPerfCatalogue(o.PerfCounter, o.HistoricalInterval), len(oc.MissingSet) == 0
			if n := missingNote(oc, "of the performance manager", "live figures may be null"); n != "" {
				notes = append(notes, n)
			}
		}
	}
	if cat == nil {
		return newPerfCatalogue(nil, nil), false, []string{"vSphere did not return the performance counter catalogue: live figures are null"}, nil
	}
	return cat, complete, notes, nil
}

// missingNote names the properties of oc vSphere did not return, and why ("" when none).
func missingNote(oc types.ObjectContent, of, consequence string) string {
	unread := make([]inventory.Unread, len(oc.MissingSet))
	for i, m := range oc.MissingSet {
		unread[i] = inventory.Unread{Path: m.Path, Fault: m.Fault.Fault}
	}
	return unreadNote(unread, of, consequence)
}

// unreadNote says which properties vSphere did not return, of what, why, and
// what that leaves empty ("" when none).
func unreadNote(unread []inventory.Unread, of, consequence string) string {
	if len(unread) == 0 {
		return ""
	}
	var paths, reasons []string
	for _, u := range unread {
		paths = append(paths, u.Path)
		if r := missingReason(u.Fault); !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	return fmt.Sprintf("vSphere did not return %s %s (%s): %s", strings.Join(paths, ", "), of, strings.Join(reasons, "; "), consequence)
}

func missingReason(f types.BaseMethodFault) string {
	if f == nil {
		return "no reason given"
	}
	if r, ok := faultReason(soap.WrapVimFault(f)); ok {
		return r
	}
	return faultName(f)
}

// vmGone reports whether a request failed because the VM vm no longer exists
// (not some other object, such as a session's collector).
func vmGone(err error, vm types.ManagedObjectReference) bool {
	var nf *types.ManagedObjectNotFound
	_, ok := fault.As(err, &nf)
	return ok && nf != nil && nf.Obj == vm
}
