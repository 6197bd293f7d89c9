package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"
)

// Named is a managed object with its name.
type Named struct {
	Ref  types.ManagedObjectReference
	Name string
}

// IsZero reports whether no object is set.
func (n Named) IsZero() bool { return n.Ref.Value == "" }

// Placement is where new VMs go unless a tool says otherwise.
type Placement struct {
	Datacenter   Named
	VMFolder     Named
	HostFolder   Named
	Compute      Named // a cluster, or the compute resource of a standalone host
	IsCluster    bool
	ResourcePool Named
	Datastore    Named
	// DatastoreConfigured: the datastore was named in the configuration. When it
	// was not, create_vm applies the default rule (most free space among the
	// usable datastores) again at each call, so a filling datastore is left alone.
	DatastoreConfigured bool
	Network             Named // zero when the default network does not exist
}

// PlacementNames are the configured names; empty means "the default".
type PlacementNames struct {
	Datacenter, Cluster, Datastore, Network string
	// NetworkDefaulted: Network is the built-in default, so its absence is only a warning.
	NetworkDefaulted bool
}

// ResolvePlacement finds the configured (or default) datacenter, compute
// resource, datastore and network, searching nested folders. A configured name
// that does not exist is an error that lists what does. It needs no Defaults
// (it is what makes them), and reads the inventory in one property retrieval,
// with the same rules create_vm and clone_vm apply: the default datastore is
// the usable one with most free space that the compute resource reaches,
// preferring those every usable host of it mounts.
func (c *Client) ResolvePlacement(ctx context.Context, want PlacementNames) (*Placement, error) {
	content, err := c.retrievePlacement(ctx)
	if err != nil {
		return nil, err
	}
	dc, err := pickDatacenter(content, want.Datacenter)
	if err != nil {
		return nil, err
	}
	pi := newPlacementInventory(content, dc)
	compute, err := pi.pickCompute(want.Cluster)
	if err != nil {
		return nil, err
	}
	p := &Placement{
		Datacenter: pi.dc,
		VMFolder:   Named{Ref: pi.vmFolder, Name: pi.nodes[pi.vmFolder].name},
		HostFolder: Named{Ref: pi.hostFolder, Name: pi.nodes[pi.hostFolder].name},
		Compute:    Named{Ref: compute.ref, Name: compute.name},
		IsCluster:  compute.ref.Type == "ClusterComputeResource",
	}
	if compute.pool.Value != "" {
		p.ResourcePool = Named{Ref: compute.pool, Name: pi.nodes[compute.pool].name}
	}
	p.DatastoreConfigured = want.Datastore != ""
	if p.Datastore, err = pi.resolveDatastore(want.Datastore, types.ManagedObjectReference{}, compute.datastores, pi.sharedDatastores(compute), pi.where(compute, nil)); err != nil {
		return nil, err
	}
	if note := pi.localNote(compute, p.Datastore); note != "" && want.Datastore == "" {
		c.log.Warn("the default datastore is host-local", "datastore", p.Datastore.Name, "note", note)
	}
	if want.Network == "" {
		return p, nil // no default network: create_vm asks for one
	}
	net, err := pi.resolveNetwork(want.Network, Named{}, &target{compute: *compute})
	switch {
	case err != nil && !want.NetworkDefaulted:
		return nil, err
	case err != nil:
		c.log.Warn("default network not found; create_vm will need an explicit network", "network", want.Network, "reason", err)
	case net != nil:
		p.Network = Named{Ref: net.ref, Name: net.name}
	}
	return p, nil
}

// pickDatacenter is the datacenter called name, else the first one.
func pickDatacenter(content []types.ObjectContent, name string) (types.ManagedObjectReference, error) {
	var dcs []Named
	for _, oc := range content {
		if oc.Obj.Type == "Datacenter" {
			dcs = append(dcs, Named{Ref: oc.Obj, Name: str(propsOf(oc), "name")})
		}
	}
	if len(dcs) == 0 {
		return types.ManagedObjectReference{}, fmt.Errorf("the inventory has no datacenter")
	}
	if name == "" {
		return dcs[0].Ref, nil
	}
	i, err := byName("datacenter", name, "", dcs, func(n Named) (string, types.ManagedObjectReference) { return n.Name, n.Ref })
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	return dcs[i].Ref, nil
}

// pickCompute is the cluster (or standalone host's compute resource) called
// name, else the first cluster, else — when there is no cluster — the first
// standalone host.
func (pi *placementInventory) pickCompute(name string) (*computeInfo, error) {
	if len(pi.computes) == 0 {
		return nil, fmt.Errorf("datacenter %s has no cluster or host", pi.dc.Name)
	}
	if name != "" {
		return pi.resolveCompute(name)
	}
	for i := range pi.computes {
		if pi.computes[i].ref.Type == "ClusterComputeResource" {
			return &pi.computes[i], nil
		}
	}
	return &pi.computes[0], nil
}
