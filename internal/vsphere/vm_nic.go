package vsphere

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

func (n *networkInfo) kind() string {
	switch n.ref.Type {
	case "DistributedVirtualPortgroup":
		return NetworkDistributed
	case "OpaqueNetwork":
		return NetworkOpaque
	}
	return NetworkStandard
}

// reachableNetworks are the networks a VM on compute (or host) can attach to.
// Uplink port groups are not for VMs. Opaque (NSX) networks are not listed
// per host by every vSphere version — the simulator lists them on the
// datacenter only — so they are offered wherever the datacenter has them and
// vCenter has the last word.
func (pi *placementInventory) reachableNetworks(t *target) []*networkInfo {
	attached := t.compute.network
	if t.host != nil {
		attached = pi.hosts[*t.host].network
	}
	var out []*networkInfo
	for i := range pi.networks {
		n := &pi.networks[i]
		switch {
		case n.uplink:
		case n.ref.Type == "OpaqueNetwork" || slices.Contains(attached, n.ref):
			out = append(out, n)
		}
	}
	return out
}

// resolveNetwork picks the network of a new VM's NIC: the named one, else the
// configured default. It returns nil (no NIC) only when there is no network at all.
func (pi *placementInventory) resolveNetwork(name string, def Named, t *target) (*networkInfo, error) {
	reachable := pi.reachableNetworks(t)
	where := pi.where(&t.compute, t.host)
	names := make([]string, len(reachable))
	for i, n := range reachable {
		names[i] = n.name
	}
	if name == "" {
		if len(reachable) == 0 {
			return nil, nil
		}
		if def.IsZero() {
			return nil, fmt.Errorf("no network was given and the configured default network does not exist; pass network: one of %s", list(names))
		}
		name = def.Name
	}
	var found []*networkInfo
	for _, n := range reachable {
		if n.name == name {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		for _, n := range pi.networks {
			if n.name == name && !n.uplink {
				return nil, fmt.Errorf("network %q is not available on %s; available there: %s", name, where, list(names))
			}
		}
		return nil, fmt.Errorf("network %q not found; available on %s: %s", name, where, list(names))
	}
	ids := make([]string, len(found))
	for i, n := range found {
		ids[i] = fmt.Sprintf("%s (%s)", n.ref.Value, n.kind())
	}
	return nil, fmt.Errorf("network name %q matches several networks on %s: %s; rename one", name, where, strings.Join(ids, ", "))
}

// nicBacking is the backing a NIC needs for the network's kind: a standard
// port group by name, a distributed port group by switch UUID and port group
// key, an opaque network by its id and type.
func (pi *placementInventory) nicBacking(n *networkInfo) (types.BaseVirtualDeviceBackingInfo, error) {
	switch n.kind() {
	case NetworkDistributed:
		uuid := pi.switchUUID[n.dvs]
		if uuid == "" || n.key == "" {
			return nil, fmt.Errorf("distributed port group %s: its switch UUID or port group key is unknown", n.name)
		}
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: uuid, PortgroupKey: n.key},
		}, nil
	case NetworkOpaque:
		if n.opaqueID == "" {
			return nil, fmt.Errorf("opaque network %s: its network id is unknown", n.name)
		}
		return &types.VirtualEthernetCardOpaqueNetworkBackingInfo{OpaqueNetworkId: n.opaqueID, OpaqueNetworkType: n.opaqueType}, nil
	}
	ref := n.ref
	return &types.VirtualEthernetCardNetworkBackingInfo{
		VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.name},
		Network:                        &ref,
	}, nil
}

// nicType picks the adapter: VMXNET3 (paravirtual, fastest) for guests that
// ship its driver, E1000e where the installer may lack it (Windows before
// Tools, unknown "other" guests).
func nicType(guestID string) string {
	if strings.HasPrefix(guestID, "win") || strings.HasPrefix(guestID, "other") {
		return "e1000e"
	}
	return "vmxnet3"
}
