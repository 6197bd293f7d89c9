package inventory

import "github.com/vmware/govmomi/vim25/types"

// The mirrored objects. Every field is a plain value; references to other
// objects are managed object ids (unique within one vCenter), interned, so a
// host id shared by a thousand VMs is stored once. Slices are never changed in
// place: an update replaces them, so a copy of a struct taken under the read
// lock stays valid after the lock is released.

// VM is one virtual machine (or template).
type VM struct {
	ID              string
	Name            string
	Parent          string // folder id; empty for a VM in a vApp
	ParentVApp      string // vApp id, for a VM in a vApp
	PowerState      string // poweredOn, poweredOff, suspended
	Host            string // host id (runtime.host)
	ConnectionState string // runtime.connectionState
	NumCPU          int32
	MemoryMB        int32
	GuestFullName   string
	GuestID         string
	Template        bool
	UUID            string // BIOS UUID
	InstanceUUID    string
	IPAddress       string
	ToolsRunning    string // guest.toolsRunningStatus
	ResourcePool    string // pool or vApp id
	Datastores      []string
	Networks        []string
	Committed       int64 // summary.storage.committed, bytes
	Uncommitted     int64 // summary.storage.uncommitted, bytes
	Unshared        int64 // summary.storage.unshared, bytes
	// HasStorageSummary says vSphere reports summary.storage at all (it
	// omits it for an inaccessible VM): without it the three figures above
	// are unknown, not zero.
	HasStorageSummary bool
	PerDatastore      []DatastoreUsage // storage.perDatastoreUsage
	// NICs are the virtual network adapters of config.hardware.device: the
	// only part of the device list any read uses, so the rest is not kept.
	NICs []NIC
	// Unread are the properties vSphere did not return at its last report of
	// the VM (a privilege the server's user lacks, say), with why; their
	// fields above are empty. Nil almost always.
	Unread []Unread
}

// NIC is one virtual network adapter of a VM.
type NIC struct {
	Key   int32 // device key: the performance instance of its network counters
	Label string
	MAC   string
}

// DatastoreUsage is a VM's space on one datastore, in bytes.
type DatastoreUsage struct {
	Datastore   string // datastore id
	Committed   int64
	Uncommitted int64
	Unshared    int64
}

// Unread is a property vSphere did not return, and the fault it gave instead.
type Unread struct {
	Path  string
	Fault types.BaseMethodFault // nil when vSphere gave none
}

// PortGroup is one standard port group as a host defines it.
type PortGroup struct {
	Name    string
	VLAN    int32
	VSwitch string
}

// Host is one ESXi host.
type Host struct {
	ID                string
	Name              string
	Parent            string // compute resource (cluster or standalone) id
	ConnectionState   string
	PowerState        string
	InMaintenanceMode bool
	CPUCores          int16
	CPUMhz            int32
	MemoryBytes       int64
	CPUUsageMHz       int32 // quick statistics
	MemoryUsageMB     int32
	Datastores        []string
	Networks          []string
	PortGroups        []PortGroup
}

// Compute is a cluster or a standalone host's compute resource.
type Compute struct {
	ID           string
	Name         string
	Parent       string // host folder id
	Cluster      bool   // a ClusterComputeResource
	DRSEnabled   bool
	Datastores   []string // the union of its hosts' (View.HostsOf lists the hosts)
	Networks     []string
	ResourcePool string // the root pool
}

// Mount is a host's mount of a datastore.
type Mount struct {
	Host    string
	Mounted bool
}

// Datastore is one datastore.
type Datastore struct {
	ID                 string
	Name               string
	Parent             string
	Type               string
	Capacity           int64
	FreeSpace          int64
	Uncommitted        int64
	Accessible         bool
	MaintenanceMode    string
	MultipleHostAccess *bool
	Mounts             []Mount
}

// Network kinds.
const (
	NetworkStandard    = "standard"
	NetworkDistributed = "distributed"
	NetworkOpaque      = "opaque"
)

// Network is a standard port group, a distributed port group or an opaque network.
type Network struct {
	ID         string
	Name       string
	Parent     string
	Kind       string
	Switch     string // distributed switch id
	Uplink     bool
	Key        string // a distributed port group's key, which NIC backings name
	OpaqueID   string
	OpaqueType string
	VLAN       types.BaseVmwareDistributedVirtualSwitchVlanSpec // distributed only
}

// Switch is a distributed virtual switch.
type Switch struct {
	ID   string
	Name string
}

// Folder is an inventory folder.
type Folder struct {
	ID     string
	Name   string
	Parent string
}

// Pool is a resource pool or a vApp.
type Pool struct {
	ID           string
	Name         string
	Parent       string // parent pool or compute resource
	VApp         bool
	ParentFolder string // a vApp's place in the VM folder tree
}

// Datacenter is one datacenter.
type Datacenter struct {
	ID              string
	Name            string
	Parent          string
	VMFolder        string
	HostFolder      string
	DatastoreFolder string
	NetworkFolder   string
}
