package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// Network kinds.
const (
	NetworkStandard    = inventory.NetworkStandard
	NetworkDistributed = inventory.NetworkDistributed
	NetworkOpaque      = inventory.NetworkOpaque
)

// NetworkInfo is one network a VM can be connected to.
type NetworkInfo struct {
	ID         string `json:"id" jsonschema:"managed object id, e.g. network-7 or dvportgroup-42"`
	Name       string `json:"name"`
	Kind       string `json:"kind" jsonschema:"standard (a standard switch port group), distributed (a distributed port group) or opaque (an NSX network)"`
	Switch     string `json:"switch,omitempty" jsonschema:"the distributed switch, or the standard vSwitch when every host names the same one"`
	VLANID     *int32 `json:"vlan_id" jsonschema:"VLAN id (0: untagged; 4095 on a standard switch: all VLANs passed to the guest); null when unknown, a trunk, a private VLAN, or different between hosts (see vlan)"`
	VLAN       string `json:"vlan,omitempty" jsonschema:"the VLAN setting when it is not one id: a trunk's ranges, a private VLAN, or the ids of different hosts"`
	Uplink     bool   `json:"uplink,omitempty" jsonschema:"true for a distributed switch's uplink port group (not for VMs)"`
	OpaqueType string `json:"opaque_type,omitempty" jsonschema:"provider type of an opaque network, e.g. nsx.LogicalSwitch"`
	HostCount  int    `json:"host_count" jsonschema:"hosts the network is available on"`
	VMCount    int    `json:"vm_count" jsonschema:"VMs connected to it, as vSphere reports"`
}

// NetworkList is one page of the networks matching a filter.
type NetworkList struct {
	Networks   []NetworkInfo `json:"networks"`
	Total      int           `json:"total" jsonschema:"number of matching networks over all pages"`
	Truncated  bool          `json:"truncated,omitempty" jsonschema:"true when more networks follow; pass next_cursor to get them"`
	NextCursor string        `json:"next_cursor,omitempty" jsonschema:"opaque cursor for the next page"`
	Freshness
}

// ListNetworks lists the networks whose name matches (substring or glob;
// empty matches all), one page at a time, from the inventory mirror: no
// request to vCenter.
func (c *Client) ListNetworks(ctx context.Context, name string, limit int, cursor string) (*NetworkList, error) {
	var nets []NetworkInfo
	err := c.readMirror(ctx, func(v *inventory.View) {
		vms, hosts := map[string]int{}, map[string]int{}
		v.EachVM(func(vm *inventory.VM) bool {
			for _, n := range vm.Networks {
				vms[n]++
			}
			return true
		})
		pgs := map[string][]inventory.PortGroup{} // standard port groups by name, one per host
		for _, h := range v.Hosts() {
			for _, n := range h.Networks {
				hosts[n]++
			}
			for _, pg := range h.PortGroups {
				pgs[pg.Name] = append(pgs[pg.Name], pg)
			}
		}
		for _, n := range v.Networks() {
			if !matchName(name, n.Name) {
				continue
			}
			info := NetworkInfo{ID: n.ID, Name: n.Name, Kind: n.Kind, HostCount: hosts[n.ID], VMCount: vms[n.ID]}
			switch n.Kind {
			case NetworkDistributed:
				if w := v.Switch(n.Switch); w != nil {
					info.Switch = w.Name
				}
				info.Uplink = n.Uplink
				if n.VLAN != nil {
					info.VLANID, info.VLAN = distributedVLAN(n.VLAN)
				}
			case NetworkOpaque:
				info.OpaqueType = n.OpaqueType
			default:
				info.VLANID, info.VLAN, info.Switch = standardVLAN(pgs[n.Name])
			}
			nets = append(nets, info)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	page, info, err := pageByName(nets, func(n NetworkInfo) (string, string) { return n.Name, n.ID }, name, limit, cursor)
	if err != nil {
		return nil, err
	}
	return &NetworkList{Networks: append([]NetworkInfo{}, page...), Total: info.total, Truncated: info.truncated, NextCursor: info.nextCursor, Freshness: c.freshness()}, nil
}

func distributedVLAN(spec types.BaseVmwareDistributedVirtualSwitchVlanSpec) (*int32, string) {
	switch v := spec.(type) {
	case *types.VmwareDistributedVirtualSwitchVlanIdSpec:
		return &v.VlanId, ""
	case *types.VmwareDistributedVirtualSwitchTrunkVlanSpec:
		ranges := make([]string, len(v.VlanId))
		for i, r := range v.VlanId {
			ranges[i] = fmt.Sprint(r.Start)
			if r.End != r.Start {
				ranges[i] += fmt.Sprintf("-%d", r.End)
			}
		}
		return nil, "trunk " + strings.Join(ranges, ",")
	case *types.VmwareDistributedVirtualSwitchPvlanSpec:
		return nil, fmt.Sprintf("private VLAN %d", v.PvlanId)
	}
	return nil, ""
}

// standardVLAN reads a standard port group's VLAN and vSwitch from the hosts
// that define it: one VLAN id when they agree, the list when they do not.
func standardVLAN(specs []inventory.PortGroup) (*int32, string, string) {
	var ids []int32
	var vswitches []string
	for _, s := range specs {
		if !slices.Contains(ids, s.VLAN) {
			ids = append(ids, s.VLAN)
		}
		if !slices.Contains(vswitches, s.VSwitch) {
			vswitches = append(vswitches, s.VSwitch)
		}
	}
	var vswitch string
	if len(vswitches) == 1 {
		vswitch = vswitches[0]
	}
	switch len(ids) {
	case 0:
		return nil, "", vswitch
	case 1:
		return &ids[0], "", vswitch
	}
	slices.Sort(ids)
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = fmt.Sprint(id)
	}
	return nil, "differs between hosts: " + strings.Join(list, ", "), vswitch
}
