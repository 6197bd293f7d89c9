package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

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
	Network      Named // zero when the default network does not exist
}

// PlacementNames are the configured names; empty means "the default".
type PlacementNames struct {
	Datacenter, Cluster, Datastore, Network string
	// NetworkDefaulted: Network is the built-in default, so its absence is only a warning.
	NetworkDefaulted bool
}

// ResolvePlacement finds the configured (or default) datacenter, compute
// resource, datastore and network, searching nested folders. A configured name
// that does not exist is an error that lists what does.
func (c *Client) ResolvePlacement(ctx context.Context, want PlacementNames) (*Placement, error) {
	p := &Placement{}
	dc, err := c.pickDatacenter(ctx, want.Datacenter)
	if err != nil {
		return nil, err
	}
	p.Datacenter = Named{Ref: dc.Obj, Name: str(propsOf(dc), "name")}
	dcProps := propsOf(dc)
	vmFolder, _ := ref(dcProps, "vmFolder")
	hostFolder, _ := ref(dcProps, "hostFolder")
	p.VMFolder = Named{Ref: vmFolder, Name: "vm"}
	p.HostFolder = Named{Ref: hostFolder, Name: "host"}

	cr, err := c.pickCompute(ctx, p.Datacenter, hostFolder, want.Cluster)
	if err != nil {
		return nil, err
	}
	crProps := propsOf(cr)
	p.Compute = Named{Ref: cr.Obj, Name: str(crProps, "name")}
	p.IsCluster = cr.Obj.Type == "ClusterComputeResource"
	if rp, ok := ref(crProps, "resourcePool"); ok {
		p.ResourcePool = Named{Ref: rp, Name: "Resources"}
	}

	dsRefs, _ := crProps["datastore"].(types.ArrayOfManagedObjectReference)
	dcDatastores, _ := dcProps["datastore"].(types.ArrayOfManagedObjectReference)
	if p.Datastore, err = c.pickDatastore(ctx, p.Compute, dsRefs.ManagedObjectReference, dcDatastores.ManagedObjectReference, want.Datastore); err != nil {
		return nil, err
	}

	netRefs, _ := crProps["network"].(types.ArrayOfManagedObjectReference)
	if p.Network, err = c.pickNetwork(ctx, p.Compute, netRefs.ManagedObjectReference, want.Network); err != nil {
		if !want.NetworkDefaulted {
			return nil, err
		}
		c.log.Warn("default network not found; create_vm will need an explicit network", "network", want.Network, "reason", err)
		p.Network = Named{}
	}
	return p, nil
}

func (c *Client) pickDatacenter(ctx context.Context, name string) (types.ObjectContent, error) {
	dcs, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, []types.PropertySpec{
		{Type: "Datacenter", PathSet: []string{"name", "vmFolder", "hostFolder", "datastore", "network"}},
	})
	if err != nil {
		return types.ObjectContent{}, fmt.Errorf("listing datacenters: %w", err)
	}
	if len(dcs) == 0 {
		return types.ObjectContent{}, fmt.Errorf("the inventory has no datacenter")
	}
	if name == "" {
		return dcs[0], nil
	}
	return pickByName("datacenter", name, dcs, "")
}

func (c *Client) pickCompute(ctx context.Context, dc Named, hostFolder types.ManagedObjectReference, name string) (types.ObjectContent, error) {
	crs, err := c.retrieveView(ctx, hostFolder, []types.PropertySpec{
		{Type: "ComputeResource", PathSet: []string{"name", "resourcePool", "datastore", "network"}},
	})
	if err != nil {
		return types.ObjectContent{}, fmt.Errorf("listing clusters of datacenter %s: %w", dc.Name, err)
	}
	if len(crs) == 0 {
		return types.ObjectContent{}, fmt.Errorf("datacenter %s has no cluster or host", dc.Name)
	}
	if name != "" {
		return pickByName("cluster", name, crs, " in datacenter "+dc.Name)
	}
	// The first cluster; a standalone host only when there is no cluster.
	for _, cr := range crs {
		if cr.Obj.Type == "ClusterComputeResource" {
			return cr, nil
		}
	}
	return crs[0], nil
}

func (c *Client) pickDatastore(ctx context.Context, compute Named, reachable, all []types.ManagedObjectReference, name string) (Named, error) {
	content, err := c.retrieveObjects(ctx, all, []string{"name", "summary.accessible", "summary.freeSpace", "summary.maintenanceMode"})
	if err != nil {
		return Named{}, fmt.Errorf("reading datastores: %w", err)
	}
	var usable []types.ObjectContent
	for _, oc := range content {
		m := propsOf(oc)
		ok, _ := m["summary.accessible"].(bool)
		mm := str(m, "summary.maintenanceMode")
		if slices.Contains(reachable, oc.Obj) && ok && (mm == "" || mm == "normal") {
			usable = append(usable, oc)
		}
	}
	if name != "" {
		oc, err := pickByName("datastore", name, content, "")
		if err != nil {
			return Named{}, err
		}
		if !slices.ContainsFunc(usable, func(u types.ObjectContent) bool { return u.Obj == oc.Obj }) {
			return Named{}, fmt.Errorf("datastore %q is not usable from %s (not mounted on its hosts, inaccessible, or in maintenance); usable: %s",
				name, compute.Name, namesOf(usable))
		}
		return Named{Ref: oc.Obj, Name: name}, nil
	}
	if len(usable) == 0 {
		return Named{}, fmt.Errorf("no accessible datastore is mounted on %s", compute.Name)
	}
	best := slices.MaxFunc(usable, func(a, b types.ObjectContent) int {
		fa, _ := propsOf(a)["summary.freeSpace"].(int64)
		fb, _ := propsOf(b)["summary.freeSpace"].(int64)
		return cmp.Compare(fa, fb)
	})
	return Named{Ref: best.Obj, Name: str(propsOf(best), "name")}, nil
}

func (c *Client) pickNetwork(ctx context.Context, compute Named, reachable []types.ManagedObjectReference, name string) (Named, error) {
	content, err := c.retrieveObjects(ctx, reachable, []string{"name"})
	if err != nil {
		return Named{}, fmt.Errorf("reading networks of %s: %w", compute.Name, err)
	}
	oc, err := pickByName("network", name, content, " on "+compute.Name)
	if err != nil {
		return Named{}, err
	}
	return Named{Ref: oc.Obj, Name: name}, nil
}

// pickByName returns the one object named name, or an error listing the names there are.
func pickByName(kind, name string, content []types.ObjectContent, where string) (types.ObjectContent, error) {
	var found []types.ObjectContent
	for _, oc := range content {
		if str(propsOf(oc), "name") == name {
			found = append(found, oc)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return types.ObjectContent{}, fmt.Errorf("%s %q not found%s; available: %s", kind, name, where, namesOf(content))
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.Obj.Value
	}
	return types.ObjectContent{}, fmt.Errorf("%s name %q matches %d objects%s (ids %s); rename one or name it by id", kind, name, len(found), where, strings.Join(ids, ", "))
}

func namesOf(content []types.ObjectContent) string {
	if len(content) == 0 {
		return "(none)"
	}
	names := make([]string, 0, len(content))
	for _, oc := range content {
		n := str(propsOf(oc), "name")
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
