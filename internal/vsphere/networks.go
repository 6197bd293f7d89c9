package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Network kinds.
const (
	NetworkStandard    = "standard"
	NetworkDistributed = "distributed"
	NetworkOpaque      = "opaque"
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

// NetworkList is every network matching a filter.
type NetworkList struct {
	Networks []NetworkInfo `json:"networks"`
	Total    int           `json:"total"`
}

var networkSpecs = []types.PropertySpec{
	{Type: "Network", PathSet: []string{"name", "host", "vm"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{"config.distributedVirtualSwitch", "config.defaultPortConfig", "config.uplink"}},
	{Type: "OpaqueNetwork", PathSet: []string{"summary"}},
	{Type: "DistributedVirtualSwitch", PathSet: []string{"name"}},
	// A standard port group's VLAN and vSwitch are set per host.
	{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}},
}

// ListNetworks lists the networks whose name matches (substring or glob; empty
// matches all), in one container view and one property retrieval.
func (c *Client) ListNetworks(ctx context.Context, name string) (*NetworkList, error) {
	content, err := c.retrieveView(ctx, c.vim.ServiceContent.RootFolder, networkSpecs)
	if err != nil {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	switches := map[types.ManagedObjectReference]string{}
	pgs := map[string][]types.HostPortGroupSpec{} // standard port group specs by name, one per host
	var nets []any
	for _, oc := range content {
		obj, err := decodeObject(oc)
		if err != nil {
			return nil, fmt.Errorf("listing networks: decoding %s %s: %w", oc.Obj.Type, oc.Obj.Value, err)
		}
		switch o := obj.(type) {
		case mo.HostSystem:
			if o.Config != nil && o.Config.Network != nil {
				for _, pg := range o.Config.Network.Portgroup {
					pgs[pg.Spec.Name] = append(pgs[pg.Spec.Name], pg.Spec)
				}
			}
		case mo.DistributedVirtualSwitch:
			switches[oc.Obj] = o.Name
		case mo.VmwareDistributedVirtualSwitch:
			switches[oc.Obj] = o.Name
		case mo.Network, mo.DistributedVirtualPortgroup, mo.OpaqueNetwork:
			nets = append(nets, o)
		}
	}
	out := &NetworkList{Networks: []NetworkInfo{}}
	for _, n := range nets {
		info := newNetworkInfo(n, switches, pgs)
		if matchName(name, info.Name) {
			out.Networks = append(out.Networks, info)
		}
	}
	slices.SortFunc(out.Networks, func(a, b NetworkInfo) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
	out.Total = len(out.Networks)
	return out, nil
}

func newNetworkInfo(obj any, switches map[types.ManagedObjectReference]string, pgs map[string][]types.HostPortGroupSpec) NetworkInfo {
	base := func(n mo.Network, kind string) NetworkInfo {
		return NetworkInfo{ID: n.Self.Value, Name: n.Name, Kind: kind, HostCount: len(n.Host), VMCount: len(n.Vm)}
	}
	switch n := obj.(type) {
	case mo.DistributedVirtualPortgroup:
		info := base(n.Network, NetworkDistributed)
		if dvs := n.Config.DistributedVirtualSwitch; dvs != nil {
			info.Switch = switches[*dvs]
		}
		info.Uplink = n.Config.Uplink != nil && *n.Config.Uplink
		if s, ok := n.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting); ok && s.Vlan != nil {
			info.VLANID, info.VLAN = distributedVLAN(s.Vlan)
		}
		return info
	case mo.OpaqueNetwork:
		info := base(n.Network, NetworkOpaque)
		if s, ok := n.Summary.(*types.OpaqueNetworkSummary); ok {
			info.OpaqueType = s.OpaqueNetworkType
		}
		return info
	case mo.Network:
		info := base(n, NetworkStandard)
		info.VLANID, info.VLAN, info.Switch = standardVLAN(pgs[n.Name])
		return info
	}
	return NetworkInfo{}
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
func standardVLAN(specs []types.HostPortGroupSpec) (*int32, string, string) {
	var ids []int32
	var vswitches []string
	for _, s := range specs {
		if !slices.Contains(ids, s.VlanId) {
			ids = append(ids, s.VlanId)
		}
		if !slices.Contains(vswitches, s.VswitchName) {
			vswitches = append(vswitches, s.VswitchName)
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
