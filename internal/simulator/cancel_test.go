package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// TestCancelledTaskDoesNotRun: a task cancelled while it is delayed ends
// cancelled and its operation never happens, as on vCenter. The stock
// simulator marks the task cancelled but then still performs the operation
// (here: makes the VM) when the delay ends, and reports the task successful;
// honourCancel is what prevents that. The test waits for the simulator's
// delayed run of the task (its second completion update) before looking.
func TestCancelledTaskDoesNotRun(t *testing.T) {
	ctx := context.Background()
	sim, c := startTest(t, ctx)
	// Package-wide knob: this package's tests do not run in parallel.
	saved := vsim.TaskDelay.MethodDelay
	vsim.TaskDelay.MethodDelay = map[string]int{"CreateVm": 1500, "LockHandoff": 0}
	defer func() {
		_ = sim.AwaitTasks(ctx)
		vsim.TaskDelay.MethodDelay = saved
	}()

	finder := find.NewFinder(c)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := finder.ResourcePoolList(ctx, "*")
	if err != nil || len(pools) == 0 {
		t.Fatalf("resource pools: %v", err)
	}
	task, err := folders.VmFolder.CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name: "cancelled", GuestId: "otherGuest64",
		Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0] cancelled"},
	}, pools[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Cancel(ctx); err != nil {
		t.Fatalf("cancelling the delayed task: %v", err)
	}

	// Wait for the simulator's own run of the task after its delay: it
	// updates the completion time a second time.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var seen []time.Time
	var last types.TaskInfo
	err = property.Wait(wctx, property.DefaultCollector(c), task.Reference(), []string{"info"}, func(changes []types.PropertyChange) bool {
		for _, ch := range changes {
			if info, ok := ch.Val.(types.TaskInfo); ok && info.CompleteTime != nil {
				last = info
				if len(seen) == 0 || !info.CompleteTime.Equal(seen[len(seen)-1]) {
					seen = append(seen, *info.CompleteTime)
				}
			}
		}
		return len(seen) >= 2
	})
	if err != nil {
		t.Fatalf("waiting for the delayed run of the cancelled task: %v (completions seen %v)", err, seen)
	}
	if last.State != types.TaskInfoStateError || !last.Cancelled {
		t.Errorf("task ended %s (cancelled %v), want error and cancelled", last.State, last.Cancelled)
	}
	if vm, err := object.NewSearchIndex(c).FindChild(ctx, folders.VmFolder, "cancelled"); err != nil || vm != nil {
		t.Errorf("the cancelled create made VM %v (err %v)", vm, err)
	}
}
