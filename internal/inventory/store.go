package inventory

import (
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// store holds the mirrored objects, indexed for the lookups the server makes.
// It is guarded by Mirror.mu: the update loop writes under the write lock,
// readers (View) hold the read lock.
type store struct {
	vms         map[string]*VM
	hosts       map[string]*Host
	computes    map[string]*Compute
	datastores  map[string]*Datastore
	networks    map[string]*Network
	switches    map[string]*Switch
	folders     map[string]*Folder
	pools       map[string]*Pool
	datacenters map[string]*Datacenter

	byName map[string][]string // VM name -> VM ids
	byUUID map[string][]string // normalised BIOS or instance UUID -> VM ids

	strs map[string]string // interned strings

	// version counts the batches of changes applied; a paging cursor names
	// the version its walk started at.
	version uint64
	// log keeps, per VM, the sort keys it had before each change since the
	// horizon (see sortlog.go).
	log       map[string][]sortEntry
	horizon   uint64 // cursors of walks started before this version are refused
	prunedAt  time.Time
	logActive bool // false during the first fill: nothing can page before it
}

func newStore() *store {
	return &store{
		vms: map[string]*VM{}, hosts: map[string]*Host{}, computes: map[string]*Compute{},
		datastores: map[string]*Datastore{}, networks: map[string]*Network{}, switches: map[string]*Switch{},
		folders: map[string]*Folder{}, pools: map[string]*Pool{}, datacenters: map[string]*Datacenter{},
		byName: map[string][]string{}, byUUID: map[string][]string{}, strs: map[string]string{},
		log: map[string][]sortEntry{},
	}
}

// intern returns one shared copy of s: ids, states and guest names repeat
// across thousands of VMs.
func (s *store) intern(v string) string {
	if v == "" {
		return ""
	}
	if i, ok := s.strs[v]; ok {
		return i
	}
	v = strings.Clone(v)
	s.strs[v] = v
	return v
}

// NormalizeUUID is the form UUIDs are compared in: lower case, no dashes.
func NormalizeUUID(u string) string {
	return strings.ToLower(strings.ReplaceAll(u, "-", ""))
}

// change is one property value of an object (nil: unset; missing: vSphere
// did not return it).
type change struct {
	name string
	val  any
}

// missing is the value of a property vSphere did not return (an entry of a
// MissingSet), with the fault it gave instead. It empties the property's
// fields as an unset value does; a VM also keeps it in Unread.
type missing struct{ fault types.BaseMethodFault }

// apply creates or updates obj with changes; full says that changes hold
// every mirrored property of obj (a fill, or an object entering the view), so
// properties not among them are unset. It reports whether obj is a type the
// mirror holds.
func (s *store) apply(obj types.ManagedObjectReference, changes []change, full bool) bool {
	id := obj.Value
	switch obj.Type {
	case "VirtualMachine":
		s.applyVM(id, changes, full)
	case "HostSystem":
		h := s.hosts[id]
		if h == nil || full {
			h = &Host{ID: s.intern(id)}
			s.hosts[h.ID] = h
		}
		for _, c := range changes {
			s.setHost(h, c.name, c.val)
		}
	case "ComputeResource", "ClusterComputeResource":
		cr := s.computes[id]
		if cr == nil || full {
			cr = &Compute{ID: s.intern(id), Cluster: obj.Type == "ClusterComputeResource"}
			s.computes[cr.ID] = cr
		}
		for _, c := range changes {
			s.setCompute(cr, c.name, c.val)
		}
	case "Datastore":
		d := s.datastores[id]
		if d == nil || full {
			d = &Datastore{ID: s.intern(id)}
			s.datastores[d.ID] = d
		}
		for _, c := range changes {
			s.setDatastore(d, c.name, c.val)
		}
	case "Network", "DistributedVirtualPortgroup", "OpaqueNetwork":
		n := s.networks[id]
		if n == nil || full {
			n = &Network{ID: s.intern(id), Kind: NetworkStandard}
			switch obj.Type {
			case "DistributedVirtualPortgroup":
				n.Kind = NetworkDistributed
			case "OpaqueNetwork":
				n.Kind = NetworkOpaque
			}
			s.networks[n.ID] = n
		}
		for _, c := range changes {
			s.setNetwork(n, c.name, c.val)
		}
	case "DistributedVirtualSwitch", "VmwareDistributedVirtualSwitch":
		w := s.switches[id]
		if w == nil || full {
			w = &Switch{ID: s.intern(id)}
			s.switches[w.ID] = w
		}
		for _, c := range changes {
			if c.name == "name" {
				w.Name = asString(c.val)
			}
		}
	case "Folder":
		f := s.folders[id]
		if f == nil || full {
			f = &Folder{ID: s.intern(id)}
			s.folders[f.ID] = f
		}
		for _, c := range changes {
			s.setFolder(f, c.name, c.val)
		}
	case "ResourcePool", "VirtualApp":
		p := s.pools[id]
		if p == nil || full {
			p = &Pool{ID: s.intern(id), VApp: obj.Type == "VirtualApp"}
			s.pools[p.ID] = p
		}
		for _, c := range changes {
			s.setPool(p, c.name, c.val)
		}
	case "Datacenter":
		d := s.datacenters[id]
		if d == nil || full {
			d = &Datacenter{ID: s.intern(id)}
			s.datacenters[d.ID] = d
		}
		for _, c := range changes {
			s.setDatacenter(d, c.name, c.val)
		}
	default:
		return false
	}
	return true
}

func (s *store) applyVM(id string, changes []change, full bool) {
	vm := s.vms[id]
	created := vm == nil
	if created {
		vm = &VM{ID: strings.Clone(id)}
		s.vms[vm.ID] = vm
	}
	old := *vm
	if full {
		*vm = VM{ID: vm.ID}
	}
	for _, c := range changes {
		s.setVM(vm, c.name, c.val)
	}
	vm.Unread = unread(vm.Unread, changes)
	if created || old.Name != vm.Name {
		if !created {
			s.byName[old.Name] = without(s.byName[old.Name], id)
			if len(s.byName[old.Name]) == 0 {
				delete(s.byName, old.Name)
			}
		}
		s.byName[vm.Name] = append(s.byName[vm.Name], vm.ID)
	}
	s.reindexUUID(vm.ID, old.UUID, vm.UUID, created)
	s.reindexUUID(vm.ID, old.InstanceUUID, vm.InstanceUUID, created)
	s.logSortChange(&old, vm, created)
}

// unread returns the list of properties vSphere did not return after
// changes: each change replaces what was known of its property. The list is
// never changed in place (readers may hold a copy of it).
func unread(was []Unread, changes []change) []Unread {
	var out []Unread
	changed := false
	for _, c := range changes {
		m, isMissing := c.val.(missing)
		if !isMissing && !slices.ContainsFunc(was, func(u Unread) bool { return u.Path == c.name }) {
			continue
		}
		if !changed {
			out, changed = slices.Clone(was), true
		}
		out = slices.DeleteFunc(out, func(u Unread) bool { return u.Path == c.name })
		if isMissing {
			out = append(out, Unread{Path: c.name, Fault: m.fault})
		}
	}
	if !changed {
		return was
	}
	if len(out) == 0 {
		return nil
	}
	return slices.Clip(out)
}

func (s *store) reindexUUID(id, before, after string, created bool) {
	if !created && before == after {
		return
	}
	if b := NormalizeUUID(before); b != "" && !created {
		s.byUUID[b] = without(s.byUUID[b], id)
		if len(s.byUUID[b]) == 0 {
			delete(s.byUUID, b)
		}
	}
	if a := NormalizeUUID(after); a != "" && !contains(s.byUUID[a], id) {
		s.byUUID[a] = append(s.byUUID[a], id)
	}
}

// remove drops an object that left the inventory.
func (s *store) remove(obj types.ManagedObjectReference) {
	id := obj.Value
	if vm, ok := s.vms[id]; ok {
		s.byName[vm.Name] = without(s.byName[vm.Name], id)
		if len(s.byName[vm.Name]) == 0 {
			delete(s.byName, vm.Name)
		}
		for _, u := range []string{vm.UUID, vm.InstanceUUID} {
			if n := NormalizeUUID(u); n != "" {
				s.byUUID[n] = without(s.byUUID[n], id)
				if len(s.byUUID[n]) == 0 {
					delete(s.byUUID, n)
				}
			}
		}
		delete(s.vms, id)
		delete(s.log, id)
		return
	}
	delete(s.hosts, id)
	delete(s.computes, id)
	delete(s.datastores, id)
	delete(s.networks, id)
	delete(s.switches, id)
	delete(s.folders, id)
	delete(s.pools, id)
	delete(s.datacenters, id)
}

// sweep removes every object a full re-read did not see: they left the
// inventory while the mirror was not listening.
func (s *store) sweep(seen map[string]struct{}) {
	for _, kind := range []struct {
		typ string
		ids func() []string
	}{
		{"VirtualMachine", func() []string { return keys(s.vms) }},
		{"HostSystem", func() []string { return keys(s.hosts) }},
		{"ComputeResource", func() []string { return keys(s.computes) }},
		{"Datastore", func() []string { return keys(s.datastores) }},
		{"Network", func() []string { return keys(s.networks) }},
		{"DistributedVirtualSwitch", func() []string { return keys(s.switches) }},
		{"Folder", func() []string { return keys(s.folders) }},
		{"ResourcePool", func() []string { return keys(s.pools) }},
		{"Datacenter", func() []string { return keys(s.datacenters) }},
	} {
		for _, id := range kind.ids() {
			if _, ok := seen[id]; !ok {
				s.remove(types.ManagedObjectReference{Type: kind.typ, Value: id})
			}
		}
	}
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func without(ids []string, id string) []string {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// node is the name and parent of any container or VM, for paths: a vApp sits
// in the VM folder tree under its parent folder, a VM in a vApp under the vApp.
func (s *store) node(id string) (name, parent string, ok bool) {
	if f, ok := s.folders[id]; ok {
		return f.Name, f.Parent, true
	}
	if vm, ok := s.vms[id]; ok {
		p := vm.Parent
		if p == "" {
			p = vm.ParentVApp
		}
		return vm.Name, p, true
	}
	if p, ok := s.pools[id]; ok {
		if p.VApp && p.ParentFolder != "" {
			return p.Name, p.ParentFolder, true
		}
		return p.Name, p.Parent, true
	}
	if c, ok := s.computes[id]; ok {
		return c.Name, c.Parent, true
	}
	if h, ok := s.hosts[id]; ok {
		return h.Name, h.Parent, true
	}
	if d, ok := s.datacenters[id]; ok {
		return d.Name, d.Parent, true
	}
	if d, ok := s.datastores[id]; ok {
		return d.Name, d.Parent, true
	}
	if n, ok := s.networks[id]; ok {
		return n.Name, n.Parent, true
	}
	return "", "", false
}

// path is the inventory path of id: the names from the datacenter down. The
// root folder is not in the view, so the walk ends there. vCenter stores "/"
// inside a name as %2f, so names join as they are.
func (s *store) path(id string) string {
	var parts []string
	for seen := 0; seen < 64 && id != ""; seen++ {
		name, parent, ok := s.node(id)
		if !ok {
			break
		}
		parts = append(parts, name)
		id = parent
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// under reports whether id is anc or lies below it.
func (s *store) under(id, anc string) bool {
	for seen := 0; seen < 64 && id != ""; seen++ {
		if id == anc {
			return true
		}
		_, parent, ok := s.node(id)
		if !ok {
			return false
		}
		id = parent
	}
	return false
}
