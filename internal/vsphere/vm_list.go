package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListFilter selects VMs. Zero values select everything except templates.
// Every object a filter names (host, cluster, folder, datastore, network) must
// exist: a filter that names nothing is an error, not an empty list.
type ListFilter struct {
	Name             string // substring, or a glob when it holds * ? or [ (case-insensitive)
	PowerState       string // poweredOn|poweredOff|suspended (or on|off)
	Host             string // ESXi host name
	Cluster          string // cluster or standalone compute resource name
	Folder           string // inventory path of a folder (or vApp, or datacenter), e.g. /DC0/vm/prod
	Datastore        string // datastore name: VMs with files on it
	Network          string // network name: VMs connected to it
	IncludeTemplates bool
	TemplatesOnly    bool
	Sort             string // name (default), cpu or memory
}

// List orders.
const (
	SortName   = "name"   // by name, then id
	SortCPU    = "cpu"    // most CPUs first, then by name
	SortMemory = "memory" // most memory first, then by name
)

// VMList is one page of VMs.
type VMList struct {
	VMs        []VMSummary `json:"vms"`
	Total      int         `json:"total" jsonschema:"number of VMs matching the filters, over all pages"`
	Truncated  bool        `json:"truncated" jsonschema:"true when more VMs follow; pass next_cursor to get them"`
	NextCursor string      `json:"next_cursor,omitempty" jsonschema:"opaque cursor for the next page"`
	Freshness
}

// NormalizePowerState maps on/off/suspended and vSphere's names to vSphere's names.
func NormalizePowerState(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "on", "poweredon", "powered_on":
		return "poweredOn", nil
	case "off", "poweredoff", "powered_off":
		return "poweredOff", nil
	case "suspended":
		return "suspended", nil
	}
	return "", fmt.Errorf("power_state %q is not one of poweredOn, poweredOff, suspended", s)
}

// ListVMs returns one page of VMs, from the inventory mirror: no request to
// vCenter. A walk through the pages (cursor after cursor) returns every VM that
// existed for the whole walk exactly once, however VMs are created, removed or
// renamed meanwhile (see internal/inventory/sortlog.go); VMs created after the
// walk began are left out of it.
func (c *Client) ListVMs(ctx context.Context, f ListFilter, limit int, cursor string) (*VMList, error) {
	ps, err := NormalizePowerState(f.PowerState)
	if err != nil {
		return nil, err
	}
	f.PowerState = ps
	switch f.Sort {
	case "":
		f.Sort = SortName
	case SortName, SortCPU, SortMemory:
	default:
		return nil, fmt.Errorf("sort %q is not one of name, cpu, memory", f.Sort)
	}
	if f.Name != "" && isGlob(f.Name) {
		if _, err := path.Match(strings.ToLower(f.Name), ""); err != nil {
			return nil, fmt.Errorf("name pattern %q is not a valid glob: %v", f.Name, err)
		}
	}
	if limit, err = pageLimit(limit); err != nil {
		return nil, err
	}
	after, err := decodeCursor(cursor, f.fingerprint(), c.mirror.Epoch())
	if err != nil {
		return nil, err
	}

	var out *VMList
	var ferr error
	err = c.readMirror(ctx, func(v *inventory.View) {
		if indexable(f, after) {
			out, ferr = listFromIndex(v, f, limit, c.mirror.Epoch(), &c.listIndex)
			return
		}
		out, ferr = listVMs(v, f, limit, after, c.mirror.Epoch())
	})
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	if ferr != nil {
		return nil, ferr
	}
	out.Freshness = c.freshness()
	return out, nil
}

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultListLimit, nil
	case limit < 0 || limit > MaxListLimit:
		return 0, fmt.Errorf("limit must be between 1 and %d, got %d", MaxListLimit, limit)
	}
	return limit, nil
}

type vmEntry struct {
	k  inventory.SortKeys
	vm *inventory.VM
}

func (f ListFilter) compare(a, b vmEntry) int {
	byName := cmp.Or(cmp.Compare(a.k.Name, b.k.Name), cmp.Compare(a.vm.ID, b.vm.ID))
	switch f.Sort {
	case SortCPU:
		return cmp.Or(cmp.Compare(b.k.NumCPU, a.k.NumCPU), byName)
	case SortMemory:
		return cmp.Or(cmp.Compare(b.k.MemoryMB, a.k.MemoryMB), byName)
	}
	return byName
}

func listVMs(v *inventory.View, f ListFilter, limit int, after *cursorKey, epoch uint32) (*VMList, error) {
	m, err := newVMMatcher(v, f)
	if err != nil {
		return nil, err
	}
	walk := v.Version()
	var last vmEntry
	if after != nil {
		if after.V < v.Horizon() || after.V > walk {
			return nil, fmt.Errorf("this cursor has expired (its listing began more than %s ago, or before the server last read the whole inventory); list again without cursor", "30 minutes")
		}
		walk = after.V
		last = vmEntry{k: inventory.SortKeys{Name: after.N, NumCPU: after.C, MemoryMB: after.M}, vm: &inventory.VM{ID: after.I}}
	}
	// Keep the first limit entries after the cursor, in order, without
	// sorting the whole inventory: sort and cut whenever the buffer doubles.
	page := make([]vmEntry, 0, 2*limit)
	var worst *vmEntry // after a cut: the last of the limit+1 kept; nothing after it can be on the page
	total := 0
	v.EachVM(func(vm *inventory.VM) bool {
		if !m.matches(vm) {
			return true
		}
		k, existed := v.KeysAt(vm, walk)
		if !existed {
			return true // created after the walk began
		}
		total++
		e := vmEntry{k: k, vm: vm}
		if after != nil && f.compare(e, last) <= 0 {
			return true
		}
		if worst != nil && f.compare(e, *worst) >= 0 {
			return true
		}
		page = append(page, e)
		if len(page) == cap(page) {
			slices.SortFunc(page, f.compare)
			page = page[:limit+1]
			w := page[limit]
			worst = &w
		}
		return true
	})
	slices.SortFunc(page, f.compare)
	out := &VMList{VMs: []VMSummary{}, Total: total}
	if len(page) > limit {
		page = page[:limit]
		out.Truncated = true
		e := page[limit-1]
		out.NextCursor = encodeCursor(cursorKey{V: walk, E: epoch, N: e.k.Name, C: e.k.NumCPU, M: e.k.MemoryMB, I: e.vm.ID, F: f.fingerprint()})
	}
	for _, e := range page {
		out.VMs = append(out.VMs, summaryOf(v, e.vm))
	}
	return out, nil
}

// vmMatcher is a ListFilter with the objects it names resolved to ids.
type vmMatcher struct {
	f          ListFilter
	hosts      map[string]bool
	computes   map[string]bool
	folders    []string
	datastores map[string]bool
	networks   map[string]bool
	view       *inventory.View
}

func newVMMatcher(v *inventory.View, f ListFilter) (*vmMatcher, error) {
	m := &vmMatcher{f: f, view: v}
	var err error
	if f.Host != "" {
		if m.hosts, err = namedIDs("host", f.Host, v.Hosts(), func(h *inventory.Host) (string, string) { return h.Name, h.ID }); err != nil {
			return nil, err
		}
	}
	if f.Cluster != "" {
		if m.computes, err = namedIDs("cluster", f.Cluster, v.Computes(), func(c *inventory.Compute) (string, string) { return c.Name, c.ID }); err != nil {
			return nil, err
		}
	}
	if f.Datastore != "" {
		if m.datastores, err = namedIDs("datastore", f.Datastore, v.Datastores(), func(d *inventory.Datastore) (string, string) { return d.Name, d.ID }); err != nil {
			return nil, err
		}
	}
	if f.Network != "" {
		if m.networks, err = namedIDs("network", f.Network, v.Networks(), func(n *inventory.Network) (string, string) { return n.Name, n.ID }); err != nil {
			return nil, err
		}
	}
	if f.Folder != "" {
		if m.folders, err = folderIDs(v, f.Folder); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// namedIDs resolves a filter's object name: the objects called exactly that,
// or else (a filter, not a reference to act on) those called so in another
// case. None is an error that lists similar names.
func namedIDs[T any](kind, name string, items []T, key func(T) (string, string)) (map[string]bool, error) {
	ids := map[string]bool{}
	var names []string
	for _, it := range items {
		n, id := key(it)
		names = append(names, n)
		if n == name {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		for _, it := range items {
			if n, id := key(it); strings.EqualFold(n, name) {
				ids[id] = true
			}
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no %s is named %q; %s", kind, name, similarOrAll(kind, name, names))
	}
	return ids, nil
}

// folderIDs resolves a folder filter: the folders, datacenters and vApps whose
// inventory path is p (a trailing "/" is allowed).
func folderIDs(v *inventory.View, p string) ([]string, error) {
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	var ids, paths []string
	consider := func(id string) {
		fp := v.Path(id)
		paths = append(paths, fp)
		if fp == p {
			ids = append(ids, id)
		}
	}
	for _, f := range v.Folders() {
		consider(f.ID)
	}
	for _, d := range v.Datacenters() {
		consider(d.ID)
	}
	for _, pool := range v.Pools() {
		if pool.VApp {
			consider(pool.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no folder has the inventory path %q (a folder filter is a path such as /DC0/vm/prod); %s", p, similarOrAll("folder", p, paths))
	}
	return ids, nil
}

// similarOrAll names the candidates that resemble name (ignoring case and
// surrounding spaces), or all of them when none does and they are few.
func similarOrAll(kind, name string, names []string) string {
	r := strings.ToLower(strings.TrimSpace(name))
	if i := strings.LastIndex(r, "/"); i >= 0 && i < len(r)-1 {
		r = r[i+1:]
	}
	var similar []string
	for _, n := range names {
		l := strings.ToLower(strings.TrimSpace(n))
		if r != "" && (strings.Contains(l, r) || len(l) >= 3 && strings.Contains(r, l)) {
			similar = append(similar, fmt.Sprintf("%q", n))
		}
	}
	if len(similar) > 0 {
		return "similar: " + list(similar)
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("%ss: %s", kind, list(quoted))
}

func (m *vmMatcher) matches(vm *inventory.VM) bool {
	f := m.f
	switch {
	case vm.Template && !f.IncludeTemplates && !f.TemplatesOnly:
		return false
	case f.TemplatesOnly && !vm.Template:
		return false
	case f.PowerState != "" && vm.PowerState != f.PowerState:
		return false
	case m.hosts != nil && !m.hosts[vm.Host]:
		return false
	case m.datastores != nil && !anyIn(vm.Datastores, m.datastores):
		return false
	case m.networks != nil && !anyIn(vm.Networks, m.networks):
		return false
	}
	if m.computes != nil {
		h := m.view.Host(vm.Host)
		if h == nil || !m.computes[h.Parent] {
			return false
		}
	}
	if m.folders != nil && !slices.ContainsFunc(m.folders, func(id string) bool { return m.view.Under(vm.ID, id) }) {
		return false
	}
	return matchName(f.Name, vm.Name)
}

func anyIn(ids []string, set map[string]bool) bool {
	for _, id := range ids {
		if set[id] {
			return true
		}
	}
	return false
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func matchName(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	if isGlob(p) {
		ok, _ := path.Match(p, n)
		return ok
	}
	return strings.Contains(n, p)
}
