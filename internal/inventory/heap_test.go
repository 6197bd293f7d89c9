package inventory

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// fillSynthetic builds a store of n VMs spread over 32 hosts, 8 datastores and
// 16 networks, with every mirrored property set as vCenter reports it
// (device lists included: the mirror must keep only their NICs).
func fillSynthetic(n int) *store {
	s := newStore()
	ref := func(t, v string) types.ManagedObjectReference { return types.ManagedObjectReference{Type: t, Value: v} }
	for h := 0; h < 32; h++ {
		s.apply(ref("HostSystem", fmt.Sprintf("host-%d", h)), []change{
			{"name", fmt.Sprintf("esx-%02d.example.com", h)}, {"parent", ref("ClusterComputeResource", "domain-c1")},
			{"runtime.connectionState", types.HostSystemConnectionStateConnected}, {"runtime.powerState", types.HostSystemPowerStatePoweredOn},
		}, true)
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("vm-%d", 1000+i)
		s.apply(ref("VirtualMachine", id), []change{
			{"name", fmt.Sprintf("app-%05d-prod.example.com", i)},
			{"parent", ref("Folder", "group-v3")},
			{"runtime.powerState", types.VirtualMachinePowerStatePoweredOn},
			{"runtime.host", ref("HostSystem", fmt.Sprintf("host-%d", i%32))},
			{"runtime.connectionState", types.VirtualMachineConnectionStateConnected},
			{"config.hardware.numCPU", int32(2)},
			{"config.hardware.memoryMB", int32(4096)},
			{"config.guestFullName", "Ubuntu Linux (64-bit)"},
			{"config.guestId", "ubuntu64Guest"},
			{"config.template", false},
			{"config.uuid", fmt.Sprintf("42%06d-1111-2222-3333-444455556666", i)},
			{"config.instanceUuid", fmt.Sprintf("50%06d-1111-2222-3333-444455556666", i)},
			{"guest.ipAddress", fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256)},
			{"guest.toolsRunningStatus", "guestToolsRunning"},
			{"resourcePool", ref("ResourcePool", "resgroup-1")},
			{"datastore", types.ArrayOfManagedObjectReference{ManagedObjectReference: []types.ManagedObjectReference{ref("Datastore", fmt.Sprintf("datastore-%d", i%8))}}},
			{"network", types.ArrayOfManagedObjectReference{ManagedObjectReference: []types.ManagedObjectReference{ref("Network", fmt.Sprintf("network-%d", i%16))}}},
			{"summary.storage.committed", int64(20 << 30)},
			{"summary.storage.uncommitted", int64(10 << 30)},
			{"summary.storage.unshared", int64(20 << 30)},
			{"storage.perDatastoreUsage", types.ArrayOfVirtualMachineUsageOnDatastore{VirtualMachineUsageOnDatastore: []types.VirtualMachineUsageOnDatastore{
				{Datastore: ref("Datastore", fmt.Sprintf("datastore-%d", i%8)), Committed: 20 << 30, Uncommitted: 10 << 30, Unshared: 20 << 30},
			}}},
			{"config.hardware.device", types.ArrayOfVirtualDevice{VirtualDevice: typicalDevices(i)}},
		}, true)
	}
	return s
}

// typicalDevices is the device list vCenter reports for a small Linux VM:
// controllers, input devices, video, VMCI, a CD-ROM, two disks and two
// NICs. Each VM gets its own, as decoding a retrieval gives it.
func typicalDevices(i int) []types.BaseVirtualDevice {
	dev := func(key, controller int32, label string) types.VirtualDevice {
		return types.VirtualDevice{Key: key, ControllerKey: controller, DeviceInfo: &types.Description{Label: label, Summary: label}}
	}
	unit := func(n int32) *int32 { return &n }
	disk := func(key, n int32) *types.VirtualDisk {
		d := &types.VirtualDisk{VirtualDevice: dev(key, 1000, fmt.Sprintf("Hard disk %d", n)), CapacityInKB: 16 << 20, CapacityInBytes: 16 << 30}
		d.UnitNumber = unit(n - 1)
		d.Backing = &types.VirtualDiskFlatVer2BackingInfo{
			VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
				FileName:  fmt.Sprintf("[datastore-%d] app-%05d/app-%05d_%d.vmdk", i%8, i, i, n),
				Datastore: &types.ManagedObjectReference{Type: "Datastore", Value: fmt.Sprintf("datastore-%d", i%8)},
			},
			DiskMode: "persistent", ThinProvisioned: types.NewBool(true), Uuid: fmt.Sprintf("6000C29%d-aaaa-bbbb-cccc-%012d", n, i),
		}
		return d
	}
	nic := func(key, n int32) *types.VirtualVmxnet3 {
		c := &types.VirtualVmxnet3{}
		c.VirtualDevice = dev(key, 100, fmt.Sprintf("Network adapter %d", n))
		c.AddressType, c.MacAddress = "assigned", fmt.Sprintf("00:50:56:%02x:%02x:%02x", n, (i/256)%256, i%256)
		c.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
			Network:                        &types.ManagedObjectReference{Type: "Network", Value: fmt.Sprintf("network-%d", i%16)},
		}
		c.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, Connected: true, Status: "ok"}
		return c
	}
	vc := dev(500, 100, "Video card ")
	return []types.BaseVirtualDevice{
		&types.VirtualIDEController{VirtualController: types.VirtualController{VirtualDevice: dev(200, 0, "IDE 0")}},
		&types.VirtualIDEController{VirtualController: types.VirtualController{VirtualDevice: dev(201, 0, "IDE 1")}},
		&types.VirtualPS2Controller{VirtualController: types.VirtualController{VirtualDevice: dev(300, 0, "PS2 controller 0"), Device: []int32{600, 700}}},
		&types.VirtualPCIController{VirtualController: types.VirtualController{VirtualDevice: dev(100, 0, "PCI controller 0"), Device: []int32{500, 12000, 1000, 4000, 4001}}},
		&types.VirtualSIOController{VirtualController: types.VirtualController{VirtualDevice: dev(400, 0, "SIO controller 0")}},
		&types.VirtualKeyboard{VirtualDevice: dev(600, 300, "Keyboard ")},
		&types.VirtualPointingDevice{VirtualDevice: dev(700, 300, "Pointing device")},
		&types.VirtualMachineVideoCard{VirtualDevice: vc, VideoRamSizeInKB: 4096, NumDisplays: 1},
		&types.VirtualMachineVMCIDevice{VirtualDevice: dev(12000, 100, "VMCI device"), Id: int64(i)},
		&types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{
			VirtualController: types.VirtualController{VirtualDevice: dev(1000, 100, "SCSI controller 0"), Device: []int32{2000, 2001}},
			SharedBus:         "noSharing", ScsiCtlrUnitNumber: 7,
		}},
		&types.VirtualCdrom{VirtualDevice: dev(3002, 201, "CD/DVD drive 1")},
		disk(2000, 1), disk(2001, 2),
		nic(4000, 1), nic(4001, 2),
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMirrorHeap measures the heap the mirror of 10,000 VMs holds (issue 8:
// at most 60 MB). It is a size bound, not a timing.
func TestMirrorHeap(t *testing.T) {
	const n, limit = 10000, 60 << 20
	before := heapInUse()
	s := fillSynthetic(n)
	after := heapInUse()
	runtime.KeepAlive(s)
	if vm := s.vms["vm-1000"]; len(vm.NICs) != 2 || len(vm.PerDatastore) != 1 || !vm.HasStorageSummary {
		t.Fatalf("the synthetic VMs were not mirrored whole: %+v", *vm)
	}
	used := after - before
	t.Logf("mirror of %d VMs: %.1f MB of heap (%d bytes per VM)", n, float64(used)/(1<<20), used/n)
	if used > limit {
		t.Errorf("mirror of %d VMs holds %.1f MB of heap, more than %d MB", n, float64(used)/(1<<20), limit>>20)
	}
}

// BenchmarkMirrorHeap reports the heap per VM for larger inventories.
func BenchmarkMirrorHeap(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var used uint64
			for range b.N {
				before := heapInUse()
				s := fillSynthetic(n)
				used = heapInUse() - before
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(used)/(1<<20), "MB")
			b.ReportMetric(float64(used)/float64(n), "B/VM")
		})
	}
}
