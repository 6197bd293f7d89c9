package vsphere

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// DatastoreInfo is one datastore as a placement target.
type DatastoreInfo struct {
	ID                 string   `json:"id" jsonschema:"managed object id, e.g. datastore-42"`
	Name               string   `json:"name"`
	Type               string   `json:"type" jsonschema:"VMFS, NFS, NFS41, vsan, VVOL, PMEM or OTHER"`
	CapacityGB         float64  `json:"capacity_gb" jsonschema:"size, GB (2^30 bytes)"`
	FreeGB             float64  `json:"free_gb" jsonschema:"free space, GB"`
	UsedPercent        float64  `json:"used_percent" jsonschema:"(capacity - free) as % of capacity"`
	ProvisionedGB      float64  `json:"provisioned_gb" jsonschema:"space promised to VMs: capacity - free + uncommitted (thin disks may grow into it), GB"`
	UncommittedGB      float64  `json:"uncommitted_gb" jsonschema:"space thin disks may still grow into, GB"`
	Accessible         bool     `json:"accessible" jsonschema:"false when no host can reach the datastore"`
	MaintenanceMode    string   `json:"maintenance_mode" jsonschema:"normal, enteringMaintenance or inMaintenance"`
	Hosts              []string `json:"hosts" jsonschema:"names of the hosts that have it mounted"`
	HostCount          int      `json:"host_count" jsonschema:"number of hosts that have it mounted"`
	VMCount            int      `json:"vm_count" jsonschema:"VMs with files on it, templates included"`
	MultipleHostAccess bool     `json:"multiple_host_access" jsonschema:"true when more than one host can reach it (shared storage)"`
}

// DatastoreList is every datastore matching a filter.
type DatastoreList struct {
	Datastores []DatastoreInfo `json:"datastores"`
	Total      int             `json:"total"`
}

var datastoreSpecs = []types.PropertySpec{
	{Type: "Datastore", PathSet: []string{"name", "summary", "host", "vm"}},
	{Type: "HostSystem", PathSet: []string{"name"}},
}

// ListDatastores lists the datastores whose name matches (substring or glob;
// empty matches all), in one container view and one property retrieval.
func (c *Client) ListDatastores(ctx context.Context, name string) (*DatastoreList, error) {
	content, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, datastoreSpecs)
	if err != nil {
		return nil, fmt.Errorf("listing datastores: %w", err)
	}
	hostNames := map[types.ManagedObjectReference]string{}
	var stores []mo.Datastore
	for _, oc := range content {
		switch oc.Obj.Type {
		case "HostSystem":
			hostNames[oc.Obj] = str(propsOf(oc), "name")
		case "Datastore":
			obj, err := decodeObject(oc)
			if err != nil {
				return nil, fmt.Errorf("listing datastores: decoding %s: %w", oc.Obj.Value, err)
			}
			stores = append(stores, obj.(mo.Datastore))
		}
	}
	out := &DatastoreList{Datastores: []DatastoreInfo{}}
	for _, ds := range stores {
		if matchName(name, ds.Name) {
			out.Datastores = append(out.Datastores, newDatastoreInfo(ds, hostNames))
		}
	}
	slices.SortFunc(out.Datastores, func(a, b DatastoreInfo) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
	out.Total = len(out.Datastores)
	return out, nil
}

func newDatastoreInfo(ds mo.Datastore, hostNames map[types.ManagedObjectReference]string) DatastoreInfo {
	s := ds.Summary
	info := DatastoreInfo{
		ID:              ds.Self.Value,
		Name:            ds.Name,
		Type:            s.Type,
		CapacityGB:      gb(s.Capacity),
		FreeGB:          gb(s.FreeSpace),
		UsedPercent:     percent(float64(s.Capacity-s.FreeSpace), float64(s.Capacity)),
		ProvisionedGB:   gb(s.Capacity - s.FreeSpace + s.Uncommitted),
		UncommittedGB:   gb(s.Uncommitted),
		Accessible:      s.Accessible,
		MaintenanceMode: s.MaintenanceMode,
		Hosts:           []string{},
		VMCount:         len(ds.Vm),
	}
	if info.MaintenanceMode == "" {
		info.MaintenanceMode = string(types.DatastoreSummaryMaintenanceModeStateNormal)
	}
	for _, m := range ds.Host {
		if m.MountInfo.Mounted != nil && !*m.MountInfo.Mounted {
			continue
		}
		if n := hostNames[m.Key]; n != "" {
			info.Hosts = append(info.Hosts, n)
		}
	}
	slices.Sort(info.Hosts)
	info.HostCount = len(info.Hosts)
	if s.MultipleHostAccess != nil {
		info.MultipleHostAccess = *s.MultipleHostAccess
	} else {
		info.MultipleHostAccess = info.HostCount > 1
	}
	return info
}
