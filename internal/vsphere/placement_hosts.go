package vsphere

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/vim25/types"
)

// On a cluster with DRS, vCenter places a new VM on a host itself. Without
// DRS (common: DRS needs vSphere Enterprise Plus) CreateVM_Task and
// CloneVM_Task need a host, so the server chooses one: connected, not in
// maintenance mode, mounting the VM's datastore, with the most free memory.
// The default datastore is one mounted on every usable host of the cluster
// when there is one, so that the VM can run (and move) anywhere in it.

// drsEnabled reads a cluster's configurationEx.
func drsEnabled(v any) bool {
	var cfg *types.ClusterConfigInfoEx
	switch c := v.(type) {
	case *types.ClusterConfigInfoEx:
		cfg = c
	case types.ClusterConfigInfoEx:
		cfg = &c
	}
	return cfg != nil && cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled
}

func connectionState(v any) string {
	switch s := v.(type) {
	case types.HostSystemConnectionState:
		return string(s)
	case string:
		return s
	}
	return ""
}

// problem says why a new VM cannot go to the host; "" when it can.
func (h hostInfo) problem() string {
	switch {
	case h.connection != "" && h.connection != string(types.HostSystemConnectionStateConnected):
		return h.connection
	case h.maintenance:
		return "in maintenance mode"
	}
	return ""
}

// usableHosts are the hosts of compute a new VM may go to.
func (pi *placementInventory) usableHosts(compute *computeInfo) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for _, h := range compute.hosts {
		if hi, ok := pi.hosts[h]; ok && hi.problem() == "" {
			out = append(out, h)
		}
	}
	return out
}

// sharedDatastores are the datastores a new VM on compute should prefer:
// mounted on every usable host of it and, in a cluster of several hosts, on
// more than one (a host's local disk is not shared, even when that host is the
// only one usable now). nil when compute has no usable host.
func (pi *placementInventory) sharedDatastores(compute *computeInfo) []types.ManagedObjectReference {
	hosts := pi.usableHosts(compute)
	if len(hosts) == 0 {
		return nil
	}
	var out []types.ManagedObjectReference
	for _, ds := range compute.datastores {
		if slices.ContainsFunc(hosts, func(h types.ManagedObjectReference) bool { return !slices.Contains(pi.hosts[h].datastores, ds) }) {
			continue
		}
		if len(compute.hosts) > 1 && len(pi.mountedOn(compute, ds)) < 2 {
			continue
		}
		out = append(out, ds)
	}
	return out
}

// mountedOn are the names of the hosts of compute that mount ds.
func (pi *placementInventory) mountedOn(compute *computeInfo, ds types.ManagedObjectReference) []string {
	var on []string
	for _, h := range compute.hosts {
		if slices.Contains(pi.hosts[h].datastores, ds) {
			on = append(on, pi.hosts[h].name)
		}
	}
	return on
}

// localNote says that the default datastore ds is not shared by the hosts of
// compute, when it is not (it was the only choice).
func (pi *placementInventory) localNote(compute *computeInfo, ds Named) string {
	if len(compute.hosts) < 2 || slices.Contains(pi.sharedDatastores(compute), ds.Ref) {
		return ""
	}
	return fmt.Sprintf("datastore %s is local to %s, the only choice: no usable datastore is shared by the hosts of cluster %s, so the VM can run only where %s is mounted",
		ds.Name, list(pi.mountedOn(compute, ds.Ref)), compute.name, ds.Name)
}

// checkHost refuses a host a new VM cannot go to.
func (pi *placementInventory) checkHost(ref types.ManagedObjectReference, compute *computeInfo) error {
	h := pi.hosts[ref]
	if p := h.problem(); p != "" {
		return fmt.Errorf("host %s is %s and cannot take a new VM; usable hosts: %s", h.name, p, list(pi.hostNames(pi.usableHosts(compute))))
	}
	return nil
}

// chooseHost picks the host of a DRS-less cluster for a VM on datastore ds.
func (pi *placementInventory) chooseHost(compute *computeInfo, ds Named) (types.ManagedObjectReference, string, error) {
	var fit []types.ManagedObjectReference
	var why []string
	for _, h := range compute.hosts {
		hi := pi.hosts[h]
		switch {
		case hi.problem() != "":
			why = append(why, hi.name+" is "+hi.problem())
		case !slices.Contains(hi.datastores, ds.Ref):
			why = append(why, hi.name+" does not mount "+ds.Name)
		default:
			fit = append(fit, h)
		}
	}
	if len(fit) == 0 {
		return types.ManagedObjectReference{}, "", fmt.Errorf("no host of cluster %s (DRS off, so vCenter needs one) can take a VM on datastore %s: %s; pass another datastore, or bring a host back",
			compute.name, ds.Name, list(why))
	}
	best := slices.MinFunc(fit, func(a, b types.ManagedObjectReference) int {
		return cmp.Or(cmp.Compare(pi.hosts[b].freeMemoryMB, pi.hosts[a].freeMemoryMB), cmp.Compare(pi.hosts[a].name, pi.hosts[b].name))
	})
	note := fmt.Sprintf("placed on host %s: cluster %s has DRS off, so vCenter needs a host; %s is connected, not in maintenance mode, mounts %s and has the most free memory of those that do",
		pi.hosts[best].name, compute.name, pi.hosts[best].name, ds.Name)
	return best, note, nil
}
