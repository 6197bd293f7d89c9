package vsphere

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// PlacementArgs say where a new VM goes; an empty field means the default.
type PlacementArgs struct {
	Folder       string // inventory path (/DC0/vm/prod) or path below the datacenter's VM folder (prod)
	Cluster      string // cluster or standalone host's compute resource, by name
	ResourcePool string // name or inventory path
	Host         string // ESXi host name
	Datastore    string // name
	Network      string // name (create only)
}

// target is a resolved and checked placement.
type target struct {
	folder    types.ManagedObjectReference
	compute   computeInfo
	pool      types.ManagedObjectReference
	host      *types.ManagedObjectReference
	datastore Named
	maxVCPUs  int32    // 0: unknown
	maxWhere  string   // what maxVCPUs is the limit of
	notes     []string // how the placement was chosen, for the answer
}

// targetDefaults are the fallbacks of a placement; zero fields fall back to
// the server's configured defaults.
type targetDefaults struct {
	folder, pool, datastore types.ManagedObjectReference
}

// resolveTarget turns the arguments into objects, checking that they exist and
// fit together: host in cluster, pool in cluster, datastore mounted there.
func (pi *placementInventory) resolveTarget(a PlacementArgs, def targetDefaults, d *Placement) (*target, error) {
	t := &target{}
	var err error
	if t.folder, err = pi.resolveFolder(a.Folder, cmp.Or(def.folder, d.VMFolder.Ref)); err != nil {
		return nil, err
	}

	var compute *computeInfo
	if a.Cluster != "" {
		if compute, err = pi.resolveCompute(a.Cluster); err != nil {
			return nil, err
		}
	}
	if a.Host != "" {
		ref, h, err := pi.resolveHost(a.Host)
		if err != nil {
			return nil, err
		}
		hc := pi.computeOf(h.parent)
		if compute != nil && hc != nil && compute.ref != hc.ref {
			return nil, fmt.Errorf("host %q is not in cluster %q; its hosts: %s", a.Host, compute.name, list(pi.hostNames(compute.hosts)))
		}
		compute, t.host = hc, &ref
	}
	var pool *poolInfo
	if a.ResourcePool != "" {
		if pool, err = pi.resolvePool(a.ResourcePool, compute); err != nil {
			return nil, err
		}
		if compute == nil {
			compute = pi.computeOf(pool.owner)
		}
	}
	if pool == nil && def.pool.Value != "" {
		// The fallback pool (a clone's source pool) serves when it fits the chosen compute resource.
		if pc := pi.computeOfPool(def.pool); pc != nil && (compute == nil || pc.ref == compute.ref) {
			compute, pool = pc, &poolInfo{ref: def.pool, owner: pc.ref}
		}
	}
	if compute == nil {
		if compute = pi.computeOf(d.Compute.Ref); compute == nil {
			return nil, fmt.Errorf("the default cluster %q is not in the inventory any more; pass cluster: one of %s", d.Compute.Name, list(pi.computeNames()))
		}
	}
	t.compute = *compute
	t.pool = compute.pool
	if pool != nil {
		t.pool = pool.ref
	}

	reachable, preferred := compute.datastores, pi.sharedDatastores(compute)
	if t.host != nil {
		if err := pi.checkHost(*t.host, compute); err != nil {
			return nil, err
		}
		reachable, preferred = pi.hosts[*t.host].datastores, nil
	}
	dsDefault := def.datastore
	if dsDefault.Value == "" && d.DatastoreConfigured && compute.ref == d.Compute.Ref && t.host == nil {
		dsDefault = d.Datastore.Ref
	}
	if t.datastore, err = pi.resolveDatastore(a.Datastore, dsDefault, reachable, preferred, pi.where(compute, t.host)); err != nil {
		return nil, err
	}
	if a.Datastore == "" && dsDefault.Value == "" && t.host == nil {
		if note := pi.localNote(compute, t.datastore); note != "" {
			t.notes = append(t.notes, note)
		}
	}
	if t.host == nil && compute.drsOff {
		host, note, err := pi.chooseHost(compute, t.datastore)
		if err != nil {
			return nil, err
		}
		t.host, t.notes = &host, append(t.notes, note)
	}
	t.maxVCPUs, t.maxWhere = pi.maxVCPUs(compute, t.host)
	return t, nil
}

func (pi *placementInventory) where(c *computeInfo, host *types.ManagedObjectReference) string {
	if host != nil {
		return "host " + pi.hosts[*host].name
	}
	return "cluster " + c.name
}

func (pi *placementInventory) resolveFolder(arg string, def types.ManagedObjectReference) (types.ManagedObjectReference, error) {
	if arg == "" {
		return def, nil
	}
	want := strings.TrimSuffix(arg, "/")
	if !strings.HasPrefix(want, "/") {
		want = pi.path(pi.vmFolder) + "/" + want
	}
	var byName []types.ManagedObjectReference
	for _, f := range pi.folders {
		if pi.path(f) == want {
			return f, nil
		}
		if pi.nodes[f].name == arg {
			byName = append(byName, f)
		}
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	paths := make([]string, 0, len(pi.folders))
	for _, f := range pi.folders {
		paths = append(paths, pi.path(f))
	}
	if len(byName) > 1 {
		return types.ManagedObjectReference{}, fmt.Errorf("folder name %q matches several folders; give its path: %s", arg, list(pi.paths(byName)))
	}
	return types.ManagedObjectReference{}, fmt.Errorf("folder %q not found in datacenter %s; VM folders: %s", arg, pi.dc.Name, list(paths))
}

func (pi *placementInventory) resolveCompute(name string) (*computeInfo, error) {
	i, err := byName("cluster", name, " in datacenter "+pi.dc.Name, pi.computes,
		func(c computeInfo) (string, types.ManagedObjectReference) { return c.name, c.ref })
	if err != nil {
		return nil, err
	}
	return &pi.computes[i], nil
}

func (pi *placementInventory) resolveHost(name string) (types.ManagedObjectReference, hostInfo, error) {
	refs := slices.SortedFunc(maps.Keys(pi.hosts), func(a, b types.ManagedObjectReference) int { return cmp.Compare(a.Value, b.Value) })
	i, err := byName("host", name, " in datacenter "+pi.dc.Name, refs,
		func(r types.ManagedObjectReference) (string, types.ManagedObjectReference) {
			return pi.hosts[r].name, r
		})
	if err != nil {
		return types.ManagedObjectReference{}, hostInfo{}, err
	}
	return refs[i], pi.hosts[refs[i]], nil
}

// resolvePool finds a pool by inventory path or name, within compute when it is set.
func (pi *placementInventory) resolvePool(arg string, compute *computeInfo) (*poolInfo, error) {
	var found []*poolInfo
	var paths []string
	for i := range pi.pools {
		p := &pi.pools[i]
		if compute != nil && p.owner != compute.ref {
			continue
		}
		path := pi.path(p.ref)
		paths = append(paths, path)
		if path == strings.TrimSuffix(arg, "/") || p.name == arg || strings.HasSuffix(path, "/"+strings.Trim(arg, "/")) {
			found = append(found, p)
		}
	}
	where := "datacenter " + pi.dc.Name
	if compute != nil {
		where = "cluster " + compute.name
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("resource pool %q not found in %s; pools: %s", arg, where, list(paths))
	}
	var cands []string
	for _, p := range found {
		cands = append(cands, pi.path(p.ref))
	}
	return nil, fmt.Errorf("resource pool %q matches several pools in %s; give its path: %s", arg, where, list(cands))
}

// resolveDatastore finds a datastore by name and checks it is usable from
// reachable; without a name, def if usable, else the usable one with most
// free space among those in preferred (the datastores every usable host of
// the cluster mounts) when any is usable, else among all. Start-up defaults,
// create and clone all choose here.
func (pi *placementInventory) resolveDatastore(name string, def types.ManagedObjectReference, reachable, preferred []types.ManagedObjectReference, where string) (Named, error) {
	var usable []types.ManagedObjectReference
	for _, r := range reachable {
		if d, ok := pi.datastores[r]; ok && d.usable() {
			usable = append(usable, r)
		}
	}
	if name != "" {
		for r, d := range pi.datastores {
			if d.name != name {
				continue
			}
			if !slices.Contains(usable, r) {
				return Named{}, fmt.Errorf("datastore %q is not usable from %s (%s); usable: %s", name, where, pi.datastoreProblem(r, reachable), list(pi.datastoreNames(usable)))
			}
			return Named{Ref: r, Name: name}, nil
		}
		return Named{}, fmt.Errorf("datastore %q not found; usable from %s: %s", name, where, list(pi.datastoreNames(usable)))
	}
	if len(usable) == 0 {
		return Named{}, pi.noUsableDatastore(reachable, where)
	}
	if def.Value != "" {
		if !slices.Contains(usable, def) {
			return Named{}, fmt.Errorf("datastore %s is not usable from %s (%s); pass datastore: one of %s",
				pi.datastores[def].name, where, pi.datastoreProblem(def, reachable), list(pi.datastoreNames(usable)))
		}
		return Named{Ref: def, Name: pi.datastores[def].name}, nil
	}
	if shared := slices.DeleteFunc(slices.Clone(usable), func(r types.ManagedObjectReference) bool { return !slices.Contains(preferred, r) }); len(shared) > 0 {
		usable = shared
	}
	best := slices.MaxFunc(usable, func(a, b types.ManagedObjectReference) int {
		return cmp.Compare(pi.datastores[a].free, pi.datastores[b].free)
	})
	return Named{Ref: best, Name: pi.datastores[best].name}, nil
}

// datastoreProblem says why a datastore is not usable from reachable.
func (pi *placementInventory) datastoreProblem(ds types.ManagedObjectReference, reachable []types.ManagedObjectReference) string {
	d, ok := pi.datastores[ds]
	switch {
	case !ok:
		return "not in datacenter " + pi.dc.Name
	case !slices.Contains(reachable, ds):
		return "not mounted there"
	}
	return d.problem()
}

// noUsableDatastore says what is wrong with every datastore mounted there.
func (pi *placementInventory) noUsableDatastore(reachable []types.ManagedObjectReference, where string) error {
	var why []string
	for _, r := range reachable {
		if d, ok := pi.datastores[r]; ok {
			why = append(why, d.name+" is "+d.problem())
		}
	}
	if len(why) == 0 {
		return fmt.Errorf("no datastore is mounted on %s", where)
	}
	return fmt.Errorf("no usable datastore is mounted on %s: %s", where, list(why))
}

func (pi *placementInventory) datastoreNames(refs []types.ManagedObjectReference) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, pi.datastores[r].name)
	}
	return out
}

// maxVCPUs is the most vCPUs a VM may have on host, or on every host of compute; 0 when unknown.
func (pi *placementInventory) maxVCPUs(compute *computeInfo, host *types.ManagedObjectReference) (int32, string) {
	if host != nil {
		return pi.hosts[*host].maxVCPUs, "host " + pi.hosts[*host].name
	}
	var limit int32
	for _, h := range compute.hosts {
		if m := pi.hosts[h].maxVCPUs; m > 0 && (limit == 0 || m < limit) {
			limit = m
		}
	}
	return limit, "the hosts of cluster " + compute.name
}

func (pi *placementInventory) computeOf(ref types.ManagedObjectReference) *computeInfo {
	for i := range pi.computes {
		if pi.computes[i].ref == ref {
			return &pi.computes[i]
		}
	}
	return nil
}

func (pi *placementInventory) computeOfPool(pool types.ManagedObjectReference) *computeInfo {
	for _, p := range pi.pools {
		if p.ref == pool {
			return pi.computeOf(p.owner)
		}
	}
	return nil
}

func (pi *placementInventory) computeNames() []string {
	var out []string
	for _, c := range pi.computes {
		out = append(out, c.name)
	}
	return out
}

func (pi *placementInventory) hostNames(refs []types.ManagedObjectReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, pi.hosts[r].name)
	}
	return out
}

func (pi *placementInventory) paths(refs []types.ManagedObjectReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, pi.path(r))
	}
	return out
}
