package vsphere

import (
	"testing"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

func TestNetworkVLANs(t *testing.T) {
	id := func(v int32) *int32 { return &v }
	cases := []struct {
		name    string
		id      *int32
		vlan    string
		vswitch string
		got     func() (*int32, string, string)
	}{
		{"distributed VLAN id", id(42), "", "", func() (*int32, string, string) {
			i, s := distributedVLAN(&types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: 42})
			return i, s, ""
		}},
		{"distributed trunk", nil, "trunk 0-99,200,300-400", "", func() (*int32, string, string) {
			i, s := distributedVLAN(&types.VmwareDistributedVirtualSwitchTrunkVlanSpec{VlanId: []types.NumericRange{{Start: 0, End: 99}, {Start: 200, End: 200}, {Start: 300, End: 400}}})
			return i, s, ""
		}},
		{"private VLAN", nil, "private VLAN 7", "", func() (*int32, string, string) {
			i, s := distributedVLAN(&types.VmwareDistributedVirtualSwitchPvlanSpec{PvlanId: 7})
			return i, s, ""
		}},
		{"standard, hosts agree", id(10), "", "vSwitch1", func() (*int32, string, string) {
			return standardVLAN([]inventory.PortGroup{{VLAN: 10, VSwitch: "vSwitch1"}, {VLAN: 10, VSwitch: "vSwitch1"}})
		}},
		{"standard, hosts differ", nil, "differs between hosts: 10, 20", "", func() (*int32, string, string) {
			return standardVLAN([]inventory.PortGroup{{VLAN: 20, VSwitch: "vSwitch1"}, {VLAN: 10, VSwitch: "vSwitch2"}})
		}},
		{"standard, no host defines it", nil, "", "", func() (*int32, string, string) { return standardVLAN(nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotID, gotVLAN, gotSwitch := c.got()
			if (gotID == nil) != (c.id == nil) || (gotID != nil && *gotID != *c.id) || gotVLAN != c.vlan || gotSwitch != c.vswitch {
				t.Errorf("got %v %q %q, want %v %q %q", show32(gotID), gotVLAN, gotSwitch, show32(c.id), c.vlan, c.vswitch)
			}
		})
	}
}

func show32(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}
