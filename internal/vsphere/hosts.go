package vsphere

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
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

// HostList is every host matching a filter.
type HostList struct {
	Hosts []HostInfo `json:"hosts"`
	Total int        `json:"total"`
}

var hostSpecs = []types.PropertySpec{
	{Type: "HostSystem", PathSet: []string{
		"name", "parent", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
		"summary.hardware", "summary.quickStats", "vm",
	}},
	{Type: "ComputeResource", PathSet: []string{"name"}},
}

// ListHosts lists the ESXi hosts whose name matches (substring or glob; empty
// matches all), in one container view and one property retrieval.
func (c *Client) ListHosts(ctx context.Context, name string) (*HostList, error) {
	content, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, hostSpecs)
	if err != nil {
		return nil, fmt.Errorf("listing hosts: %w", err)
	}
	clusters := map[types.ManagedObjectReference]string{}
	var hosts []mo.HostSystem
	for _, oc := range content {
		if oc.Obj.Type == "ClusterComputeResource" {
			clusters[oc.Obj] = str(propsOf(oc), "name")
		}
		if oc.Obj.Type != "HostSystem" {
			continue
		}
		obj, err := decodeObject(oc)
		if err != nil {
			return nil, fmt.Errorf("listing hosts: decoding %s: %w", oc.Obj.Value, err)
		}
		hosts = append(hosts, obj.(mo.HostSystem))
	}
	out := &HostList{Hosts: []HostInfo{}}
	for _, h := range hosts {
		if !matchName(name, h.Name) {
			continue
		}
		info := newHostInfo(h)
		if h.Parent != nil {
			info.Cluster = clusters[*h.Parent]
		}
		out.Hosts = append(out.Hosts, info)
	}
	slices.SortFunc(out.Hosts, func(a, b HostInfo) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
	out.Total = len(out.Hosts)
	return out, nil
}

func newHostInfo(h mo.HostSystem) HostInfo {
	info := HostInfo{
		ID:              h.Self.Value,
		Name:            h.Name,
		ConnectionState: string(h.Runtime.ConnectionState),
		PowerState:      string(h.Runtime.PowerState),
		MaintenanceMode: h.Runtime.InMaintenanceMode,
		CPUUsageMHz:     int64(h.Summary.QuickStats.OverallCpuUsage),
		MemoryUsageMB:   int64(h.Summary.QuickStats.OverallMemoryUsage),
		VMCount:         len(h.Vm),
	}
	if hw := h.Summary.Hardware; hw != nil {
		info.CPUCores = int32(hw.NumCpuCores)
		info.CPUCapacityMHz = int64(hw.CpuMhz) * int64(hw.NumCpuCores)
		info.MemoryCapacityMB = hw.MemorySize / (1 << 20)
	}
	info.CPUUsagePercent = percent(float64(info.CPUUsageMHz), float64(info.CPUCapacityMHz))
	info.MemoryUsagePercent = percent(float64(info.MemoryUsageMB), float64(info.MemoryCapacityMB))
	return info
}
