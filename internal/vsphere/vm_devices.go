package vsphere

import (
	"reflect"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// VMDisk is one virtual disk.
type VMDisk struct {
	Label        string  `json:"label" jsonschema:"device label, e.g. Hard disk 1"`
	CapacityGB   float64 `json:"capacity_gb"`
	Datastore    string  `json:"datastore,omitempty"`
	File         string  `json:"file,omitempty" jsonschema:"VMDK path, e.g. [LocalDS_0] web-01/web-01.vmdk"`
	Thin         bool    `json:"thin" jsonschema:"thin provisioned"`
	Provisioning string  `json:"provisioning" jsonschema:"thin, thick (lazy zeroed), thick-eager (eager zeroed) or other (RDM, sparse)"`
}

// VMNIC is one network adapter.
type VMNIC struct {
	Label       string `json:"label" jsonschema:"device label, e.g. Network adapter 1"`
	Type        string `json:"type" jsonschema:"adapter type, e.g. vmxnet3 or e1000e"`
	Network     string `json:"network,omitempty"`
	NetworkKind string `json:"network_kind,omitempty" jsonschema:"standard (standard switch port group), distributed (distributed port group) or opaque (NSX network)"`
	MAC         string `json:"mac,omitempty"`
	Connected   bool   `json:"connected"`
	// StartConnected is whether the adapter connects when the VM powers on.
	StartConnected bool `json:"start_connected"`
}

// networkNames resolves the networks NIC backings point at.
type networkNames struct {
	byRef    map[types.ManagedObjectReference]string
	byPGKey  map[string]string // distributed port group key -> name
	byOpaque map[string]string // opaque network id -> name
}

// devicesOf summarises a VM's disks and NICs; dsName names datastores.
func devicesOf(devs []types.BaseVirtualDevice, dsName func(types.ManagedObjectReference) string, nets networkNames) ([]VMDisk, []VMNIC) {
	list := object.VirtualDeviceList(devs)
	disks, nics := []VMDisk{}, []VMNIC{}
	for _, d := range devs {
		vd := d.GetVirtualDevice()
		label := list.Name(d)
		if di := vd.DeviceInfo; di != nil && di.GetDescription() != nil {
			label = di.GetDescription().Label
		}
		switch dev := d.(type) {
		case *types.VirtualDisk:
			disk := VMDisk{Label: label, CapacityGB: float64(diskBytes(dev)) / (1 << 30), Provisioning: "other"}
			if b, ok := dev.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
				fb := b.GetVirtualDeviceFileBackingInfo()
				disk.File = fb.FileName
				if fb.Datastore != nil {
					disk.Datastore = dsName(*fb.Datastore)
				}
				if disk.Datastore == "" {
					var p object.DatastorePath
					if p.FromString(fb.FileName) {
						disk.Datastore = p.Datastore
					}
				}
			}
			if b, ok := dev.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
				switch {
				case b.ThinProvisioned != nil && *b.ThinProvisioned:
					disk.Thin, disk.Provisioning = true, "thin"
				case b.EagerlyScrub != nil && *b.EagerlyScrub:
					disk.Provisioning = "thick-eager"
				default:
					disk.Provisioning = "thick"
				}
			}
			disks = append(disks, disk)
		case types.BaseVirtualEthernetCard:
			card := dev.GetVirtualEthernetCard()
			nic := VMNIC{Label: label, Type: adapterType(d), MAC: card.MacAddress}
			if c := card.Connectable; c != nil {
				nic.Connected, nic.StartConnected = c.Connected, c.StartConnected
			}
			switch b := card.Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				nic.Network, nic.NetworkKind = b.DeviceName, NetworkStandard
				if b.Network != nil && nets.byRef[*b.Network] != "" {
					nic.Network = nets.byRef[*b.Network]
				}
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				nic.Network, nic.NetworkKind = nets.byPGKey[b.Port.PortgroupKey], NetworkDistributed
				if nic.Network == "" {
					nic.Network = b.Port.PortgroupKey
				}
			case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
				nic.Network, nic.NetworkKind = nets.byOpaque[b.OpaqueNetworkId], NetworkOpaque
				if nic.Network == "" {
					nic.Network = b.OpaqueNetworkId
				}
			}
			nics = append(nics, nic)
		}
	}
	return disks, nics
}

// adapterType names a NIC's adapter the way vSphere users do: vmxnet3, e1000e, e1000...
func adapterType(d types.BaseVirtualDevice) string {
	t := reflect.TypeOf(d)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.ToLower(strings.TrimPrefix(t.Name(), "Virtual"))
}

func diskBytes(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes
	}
	return d.CapacityInKB * 1024
}

// networkNamesOf indexes the placement inventory's networks for devicesOf.
func (pi *placementInventory) networkNames() networkNames {
	n := networkNames{byRef: map[types.ManagedObjectReference]string{}, byPGKey: map[string]string{}, byOpaque: map[string]string{}}
	for _, net := range pi.networks {
		n.byRef[net.ref] = net.name
		if net.key != "" {
			n.byPGKey[net.key] = net.name
		}
		if net.opaqueID != "" {
			n.byOpaque[net.opaqueID] = net.name
		}
	}
	return n
}
