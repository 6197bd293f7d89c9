package vsphere

import (
	"context"
	"fmt"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// HostInfo is one ESXi host as a placement target.
type HostInfo struct {
	ID                 string  `json:"id" jsonschema:"managed object id, e.g. host-42"`
	Name               string  `json:"name"`
	Cluster            string  `json:"cluster,omitempty" jsonschema:"cluster the host belongs to; empty for a standalone host"`
	ConnectionState    string  `json:"connection_state" jsonschema:"connected, disconnected or notResponding"`
	PowerState         string  `json:"power_state" jsonschema:"poweredOn, poweredOff, standBy or unknown"`
	MaintenanceMode    bool    `json:"maintenance_mode" jsonschema:"true when the host is in maintenance mode (no VMs can be placed on it)"`
	CPUCores           int32   `json:"cpu_cores" jsonschema:"physical CPU cores"`
	CPUCapacityMHz     int64   `json:"cpu_capacity_mhz" jsonschema:"cores x core speed, MHz"`
	CPUUsageMHz        int64   `json:"cpu_usage_mhz" jsonschema:"CPU in use, MHz (vSphere's quick statistics, refreshed about every 20 seconds)"`
	CPUUsagePercent    float64 `json:"cpu_usage_percent" jsonschema:"cpu_usage_mhz as % of cpu_capacity_mhz"`
	MemoryCapacityMB   int64   `json:"memory_capacity_mb" jsonschema:"physical memory, MB"`
	MemoryUsageMB      int64   `json:"memory_usage_mb" jsonschema:"memory in use, MB (quick statistics)"`
	MemoryUsagePercent float64 `json:"memory_usage_percent" jsonschema:"memory_usage_mb as % of memory_capacity_mb"`
	VMCount            int     `json:"vm_count" jsonschema:"VMs registered on the host, templates included"`
}

// HostList is one page of the hosts matching a filter.
type HostList struct {
	Hosts      []HostInfo `json:"hosts"`
	Total      int        `json:"total" jsonschema:"number of matching hosts over all pages"`
	Truncated  bool       `json:"truncated,omitempty" jsonschema:"true when more hosts follow; pass next_cursor to get them"`
	NextCursor string     `json:"next_cursor,omitempty" jsonschema:"opaque cursor for the next page"`
	Freshness
}

// ListHosts lists the ESXi hosts whose name matches (substring or glob; empty
// matches all), one page at a time, from the inventory mirror: no request to vCenter.
func (c *Client) ListHosts(ctx context.Context, name string, limit int, cursor string) (*HostList, error) {
	var hosts []HostInfo
	err := c.readMirror(ctx, func(v *inventory.View) {
		vms := map[string]int{}
		v.EachVM(func(vm *inventory.VM) bool {
			vms[vm.Host]++
			return true
		})
		for _, h := range v.Hosts() {
			if !matchName(name, h.Name) {
				continue
			}
			info := newHostInfo(h, vms[h.ID])
			if cr := v.Compute(h.Parent); cr != nil && cr.Cluster {
				info.Cluster = cr.Name
			}
			hosts = append(hosts, info)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listing hosts: %w", err)
	}
	page, info, err := pageByName(hosts, func(h HostInfo) (string, string) { return h.Name, h.ID }, name, limit, cursor)
	if err != nil {
		return nil, err
	}
	return &HostList{Hosts: append([]HostInfo{}, page...), Total: info.total, Truncated: info.truncated, NextCursor: info.nextCursor, Freshness: c.freshness()}, nil
}

func newHostInfo(h *inventory.Host, vmCount int) HostInfo {
	info := HostInfo{
		ID:               h.ID,
		Name:             h.Name,
		ConnectionState:  h.ConnectionState,
		PowerState:       h.PowerState,
		MaintenanceMode:  h.InMaintenanceMode,
		CPUUsageMHz:      int64(h.CPUUsageMHz),
		MemoryUsageMB:    int64(h.MemoryUsageMB),
		VMCount:          vmCount,
		CPUCores:         int32(h.CPUCores),
		CPUCapacityMHz:   int64(h.CPUMhz) * int64(h.CPUCores),
		MemoryCapacityMB: h.MemoryBytes / (1 << 20),
	}
	info.CPUUsagePercent = percent(float64(info.CPUUsageMHz), float64(info.CPUCapacityMHz))
	info.MemoryUsagePercent = percent(float64(info.MemoryUsageMB), float64(info.MemoryCapacityMB))
	return info
}
