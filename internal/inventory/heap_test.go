package inventory

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// fillSynthetic builds a store of n VMs spread over 32 hosts, 8 datastores and
// 16 networks, with every mirrored property set as vCenter reports it.
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
		}, true)
	}
	return s
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
