package vsphere

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
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

// DatastoreList is one page of the datastores matching a filter.
type DatastoreList struct {
	Datastores []DatastoreInfo `json:"datastores"`
	Total      int             `json:"total" jsonschema:"number of matching datastores over all pages"`
	Truncated  bool            `json:"truncated,omitempty" jsonschema:"true when more datastores follow; pass next_cursor to get them"`
	NextCursor string          `json:"next_cursor,omitempty" jsonschema:"opaque cursor for the next page"`
	Freshness
}

// ListDatastores lists the datastores whose name matches (substring or glob;
// empty matches all), one page at a time, from the inventory mirror: no
// request to vCenter.
func (c *Client) ListDatastores(ctx context.Context, name string, limit int, cursor string) (*DatastoreList, error) {
	var stores []DatastoreInfo
	err := c.readMirror(ctx, func(v *inventory.View) {
		vms := map[string]int{}
		v.EachVM(func(vm *inventory.VM) bool {
			for _, ds := range vm.Datastores {
				vms[ds]++
			}
			return true
		})
		for _, ds := range v.Datastores() {
			if matchName(name, ds.Name) {
				stores = append(stores, newDatastoreInfo(v, ds, vms[ds.ID]))
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listing datastores: %w", err)
	}
	page, info, err := pageByName(stores, func(d DatastoreInfo) (string, string) { return d.Name, d.ID }, name, limit, cursor)
	if err != nil {
		return nil, err
	}
	return &DatastoreList{Datastores: append([]DatastoreInfo{}, page...), Total: info.total, Truncated: info.truncated, NextCursor: info.nextCursor, Freshness: c.freshness()}, nil
}

func newDatastoreInfo(v *inventory.View, ds *inventory.Datastore, vmCount int) DatastoreInfo {
	info := DatastoreInfo{
		ID:              ds.ID,
		Name:            ds.Name,
		Type:            ds.Type,
		CapacityGB:      gb(ds.Capacity),
		FreeGB:          gb(ds.FreeSpace),
		UsedPercent:     percent(float64(ds.Capacity-ds.FreeSpace), float64(ds.Capacity)),
		ProvisionedGB:   gb(ds.Capacity - ds.FreeSpace + ds.Uncommitted),
		UncommittedGB:   gb(ds.Uncommitted),
		Accessible:      ds.Accessible,
		MaintenanceMode: ds.MaintenanceMode,
		Hosts:           []string{},
		VMCount:         vmCount,
	}
	if info.MaintenanceMode == "" {
		info.MaintenanceMode = string(types.DatastoreSummaryMaintenanceModeStateNormal)
	}
	for _, m := range ds.Mounts {
		if !m.Mounted {
			continue
		}
		if h := v.Host(m.Host); h != nil && h.Name != "" {
			info.Hosts = append(info.Hosts, h.Name)
		}
	}
	slices.Sort(info.Hosts)
	info.HostCount = len(info.Hosts)
	if ds.MultipleHostAccess != nil {
		info.MultipleHostAccess = *ds.MultipleHostAccess
	} else {
		info.MultipleHostAccess = info.HostCount > 1
	}
	return info
}
