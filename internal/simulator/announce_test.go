package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// TestTasksAnnounceWhatTheyChange: a property collector watching a VM and a
// host hears of a rename and CPU change made by ReconfigVM_Task and of a host
// entering maintenance mode — as on vCenter. The stock simulator changes
// these properties without announcing them; the announcer does, so an update
// stream (the server's inventory mirror) sees them.
func TestTasksAnnounceWhatTheyChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, c := startTest(t, ctx)
	finder := datacenterFinder(t, ctx, c)
	vm, err := finder.VirtualMachine(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	host, err := finder.HostSystem(ctx, "DC0_C0_H0")
	if err != nil {
		t.Fatal(err)
	}

	// Watch first, then change: the wait must end on the announced values.
	seen := make(chan map[string]any, 1)
	go func() {
		got := map[string]any{}
		_ = property.Wait(ctx, property.DefaultCollector(c), vm.Reference(), []string{"name", "config.hardware.numCPU"}, func(ch []types.PropertyChange) bool {
			for _, p := range ch {
				got[p.Name] = p.Val
			}
			return got["name"] == "renamed" && got["config.hardware.numCPU"] == int32(3)
		})
		seen <- got
	}()
	time.Sleep(100 * time.Millisecond) // let the first (initial) update pass; not a timing assertion
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{Name: "renamed", NumCPUs: 3})
	if err != nil || task.Wait(ctx) != nil {
		t.Fatalf("reconfigure: %v", err)
	}
	if got := <-seen; got["name"] != "renamed" || got["config.hardware.numCPU"] != int32(3) {
		t.Errorf("the update stream saw %v; want the new name and CPU count announced", got)
	}

	task, err = host.EnterMaintenanceMode(ctx, 0, false, nil)
	if err != nil || task.Wait(ctx) != nil {
		t.Fatalf("maintenance mode: %v", err)
	}
	err = property.Wait(ctx, property.DefaultCollector(c), host.Reference(), []string{"runtime.inMaintenanceMode"}, func(ch []types.PropertyChange) bool {
		for _, p := range ch {
			if p.Val == true {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Errorf("the update stream never saw the host in maintenance mode: %v", err)
	}
}

// TestDiskAddAnnouncesStorage: a disk added by ReconfigVM_Task changes the
// VM's storage figures, which the stock simulator recomputes without
// announcing (it announces the device list itself); the announcer does, as
// vCenter reports them, so a watcher sees the new uncommitted space.
func TestDiskAddAnnouncesStorage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, c := startTest(t, ctx)
	finder := datacenterFinder(t, ctx, c)
	vm, err := finder.VirtualMachine(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	var before mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"summary.storage", "datastore"}, &before); err != nil {
		t.Fatal(err)
	}

	seen := make(chan int64, 1)
	go func() {
		var last int64
		_ = property.Wait(ctx, property.DefaultCollector(c), vm.Reference(), []string{"summary.storage.uncommitted"}, func(ch []types.PropertyChange) bool {
			for _, p := range ch {
				last, _ = p.Val.(int64)
			}
			return last > before.Summary.Storage.Uncommitted
		})
		seen <- last
	}()
	time.Sleep(100 * time.Millisecond) // let the first (initial) update pass; not a timing assertion
	devices, err := vm.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	controller, err := devices.FindDiskController("scsi")
	if err != nil {
		t.Fatal(err)
	}
	disk := devices.CreateDisk(controller, before.Datastore[0], "")
	disk.CapacityInKB = 1 << 20
	if err := vm.AddDevice(ctx, disk); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got <= before.Summary.Storage.Uncommitted {
		t.Errorf("the update stream saw uncommitted %d bytes, before %d; want the new disk's space announced", got, before.Summary.Storage.Uncommitted)
	}
}
