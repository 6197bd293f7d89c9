package vsphere

import (
	"cmp"
	"slices"
	"sync"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// nameIndex is the mirror's VMs in list order (name, then id), kept for the
// mirror version it was built from. The most common listing — every VM, or
// every VM but the templates, by name, from the first page — then costs its
// page instead of a scan and sort of the whole inventory: at 10,000 VMs and
// hundreds of concurrent callers, that scan is what bounds the calls per
// second. Any change to the inventory moves the mirror's version, and the
// next such listing builds the index again.
type nameIndex struct {
	mu        sync.Mutex
	built     bool
	epoch     uint32
	version   uint64
	vms       []*inventory.VM
	templates int
}

// get returns the VMs of v in list order and how many are templates. It is
// called under the mirror's read lock (readMirror), so v does not change.
func (x *nameIndex) get(v *inventory.View, epoch uint32) ([]*inventory.VM, int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.built && x.epoch == epoch && x.version == v.Version() {
		return x.vms, x.templates
	}
	vms := make([]*inventory.VM, 0, v.VMCount())
	templates := 0
	v.EachVM(func(vm *inventory.VM) bool {
		vms = append(vms, vm)
		if vm.Template {
			templates++
		}
		return true
	})
	slices.SortFunc(vms, func(a, b *inventory.VM) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	x.built, x.epoch, x.version, x.vms, x.templates = true, epoch, v.Version(), vms, templates
	return vms, templates
}

// indexable reports whether a listing can be answered from the name index:
// by name, from the first page, with no filter but the template choice.
func indexable(f ListFilter, after *cursorKey) bool {
	return after == nil && f.Sort == SortName && f.Name == "" && f.PowerState == "" && f.Host == "" &&
		f.Cluster == "" && f.Folder == "" && f.Datastore == "" && f.Network == ""
}

// listFromIndex is listVMs for an indexable listing: the same page, total
// and cursor, from the index.
func listFromIndex(v *inventory.View, f ListFilter, limit int, epoch uint32, x *nameIndex) (*VMList, error) {
	m, err := newVMMatcher(v, f)
	if err != nil {
		return nil, err
	}
	vms, templates := x.get(v, epoch)
	out := &VMList{VMs: []VMSummary{}}
	switch {
	case f.TemplatesOnly:
		out.Total = templates
	case f.IncludeTemplates:
		out.Total = len(vms)
	default:
		out.Total = len(vms) - templates
	}
	page := make([]*inventory.VM, 0, limit)
	for _, vm := range vms {
		if !m.matches(vm) {
			continue
		}
		if len(page) == limit {
			out.Truncated = true
			break
		}
		page = append(page, vm)
	}
	if out.Truncated {
		last := page[limit-1]
		out.NextCursor = encodeCursor(cursorKey{V: v.Version(), E: epoch, N: last.Name, C: last.NumCPU, M: last.MemoryMB, I: last.ID, F: f.fingerprint()})
	}
	out.VMs = make([]VMSummary, 0, len(page))
	for _, vm := range page {
		out.VMs = append(out.VMs, summaryOf(v, vm))
	}
	return out, nil
}
