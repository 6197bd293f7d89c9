package inventory

import (
	"cmp"
	"slices"

	"github.com/vmware/govmomi/vim25/types"
)

// View reads the mirror under its read lock (see Mirror.Read). The pointers
// it returns are valid only until the function given to Read returns.
type View struct {
	s *store
}

// Version is the number of change batches applied so far.
func (v *View) Version() uint64 { return v.s.version }

// Horizon is the oldest version a paging walk may have started at.
func (v *View) Horizon() uint64 { return v.s.horizon }

// VM returns the VM with managed object id id.
func (v *View) VM(id string) *VM { return v.s.vms[id] }

// VMsNamed returns the VMs whose name is exactly name.
func (v *View) VMsNamed(name string) []*VM { return v.get(v.s.byName[name]) }

// VMsByUUID returns the VMs whose BIOS or instance UUID is u (any case, with or without dashes).
func (v *View) VMsByUUID(u string) []*VM { return v.get(v.s.byUUID[NormalizeUUID(u)]) }

func (v *View) get(ids []string) []*VM {
	out := make([]*VM, 0, len(ids))
	for _, id := range ids {
		if vm := v.s.vms[id]; vm != nil {
			out = append(out, vm)
		}
	}
	return out
}

// VMCount is the number of VMs (templates included).
func (v *View) VMCount() int { return len(v.s.vms) }

// EachVM calls fn for every VM, in no order, until fn returns false.
func (v *View) EachVM(fn func(*VM) bool) {
	for _, vm := range v.s.vms {
		if !fn(vm) {
			return
		}
	}
}

// KeysAt returns the sort keys vm had at version ver, and false when it did
// not exist then (see sortlog.go).
func (v *View) KeysAt(vm *VM, ver uint64) (SortKeys, bool) { return v.s.keysAt(vm, ver) }

// Host, Compute, Datastore, Network, Switch, Folder, Pool and Datacenter
// return one object by id (nil when there is none).
func (v *View) Host(id string) *Host             { return v.s.hosts[id] }
func (v *View) Compute(id string) *Compute       { return v.s.computes[id] }
func (v *View) Datastore(id string) *Datastore   { return v.s.datastores[id] }
func (v *View) Network(id string) *Network       { return v.s.networks[id] }
func (v *View) Switch(id string) *Switch         { return v.s.switches[id] }
func (v *View) Folder(id string) *Folder         { return v.s.folders[id] }
func (v *View) Pool(id string) *Pool             { return v.s.pools[id] }
func (v *View) Datacenter(id string) *Datacenter { return v.s.datacenters[id] }

// Hosts, Computes, Datastores, Networks, Folders, Pools and Datacenters list
// every object of a kind, sorted by name then id.
func (v *View) Hosts() []*Host {
	return sorted(v.s.hosts, func(h *Host) (string, string) { return h.Name, h.ID })
}
func (v *View) Computes() []*Compute {
	return sorted(v.s.computes, func(c *Compute) (string, string) { return c.Name, c.ID })
}
func (v *View) Datastores() []*Datastore {
	return sorted(v.s.datastores, func(d *Datastore) (string, string) { return d.Name, d.ID })
}
func (v *View) Networks() []*Network {
	return sorted(v.s.networks, func(n *Network) (string, string) { return n.Name, n.ID })
}
func (v *View) Folders() []*Folder {
	return sorted(v.s.folders, func(f *Folder) (string, string) { return f.Name, f.ID })
}
func (v *View) Pools() []*Pool {
	return sorted(v.s.pools, func(p *Pool) (string, string) { return p.Name, p.ID })
}
func (v *View) Datacenters() []*Datacenter {
	return sorted(v.s.datacenters, func(d *Datacenter) (string, string) { return d.Name, d.ID })
}

func sorted[T any](m map[string]*T, key func(*T) (string, string)) []*T {
	out := make([]*T, 0, len(m))
	for _, x := range m {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *T) int {
		an, ai := key(a)
		bn, bi := key(b)
		return cmp.Or(cmp.Compare(an, bn), cmp.Compare(ai, bi))
	})
	return out
}

// HostsOf lists the hosts of a compute resource, sorted by name then id.
func (v *View) HostsOf(compute string) []*Host {
	var out []*Host
	for _, h := range v.Hosts() {
		if h.Parent == compute {
			out = append(out, h)
		}
	}
	return out
}

// Name returns the name of any mirrored object.
func (v *View) Name(id string) string {
	name, _, _ := v.s.node(id)
	if name == "" {
		if w := v.s.switches[id]; w != nil {
			return w.Name
		}
	}
	return name
}

// Parent returns the parent of any mirrored container or VM in the tree paths
// are built from (a vApp's parent folder, a VM's vApp).
func (v *View) Parent(id string) string {
	_, p, _ := v.s.node(id)
	return p
}

// Path is the inventory path of id, e.g. /DC0/vm/web-01.
func (v *View) Path(id string) string { return v.s.path(id) }

// Under reports whether id is anc or lies below it.
func (v *View) Under(id, anc string) bool { return v.s.under(id, anc) }

// Stats are the mirror's object counts.
type Stats struct {
	VMs, Hosts, Computes, Datastores, Networks, Folders, Pools, Datacenters int
}

// Stats counts the mirrored objects.
func (v *View) Stats() Stats {
	s := v.s
	return Stats{len(s.vms), len(s.hosts), len(s.computes), len(s.datastores), len(s.networks), len(s.folders), len(s.pools), len(s.datacenters)}
}

// Ref is the managed object reference of any mirrored object (a zero
// reference when id is unknown).
func (v *View) Ref(id string) types.ManagedObjectReference {
	s := v.s
	t := ""
	switch {
	case s.vms[id] != nil:
		t = "VirtualMachine"
	case s.folders[id] != nil:
		t = "Folder"
	case s.pools[id] != nil:
		t = "ResourcePool"
		if s.pools[id].VApp {
			t = "VirtualApp"
		}
	case s.computes[id] != nil:
		t = "ComputeResource"
		if s.computes[id].Cluster {
			t = "ClusterComputeResource"
		}
	case s.hosts[id] != nil:
		t = "HostSystem"
	case s.datacenters[id] != nil:
		t = "Datacenter"
	case s.datastores[id] != nil:
		t = "Datastore"
	case s.networks[id] != nil:
		switch s.networks[id].Kind {
		case NetworkDistributed:
			t = "DistributedVirtualPortgroup"
		case NetworkOpaque:
			t = "OpaqueNetwork"
		default:
			t = "Network"
		}
	case s.switches[id] != nil:
		t = "VmwareDistributedVirtualSwitch"
	default:
		return types.ManagedObjectReference{}
	}
	return types.ManagedObjectReference{Type: t, Value: id}
}
