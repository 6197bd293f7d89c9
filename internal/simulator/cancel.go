package simulator

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// honourCancel makes a cancelled task's operation not happen, as on vCenter.
//
// Where govmomi's simulator differs from vCenter: CancelTask marks the task
// cancelled (state error, RequestCanceled) at once, but the simulated
// operation still runs when the task's delay ends, and the task then reports
// success: a cancelled create still makes its VM. vCenter performs no
// operation for a task it cancelled. So before the simulator serves a
// CancelTask, the task's operation is replaced by the fault vCenter reports;
// an operation that already ran is not affected (the cancel is then refused,
// as vCenter refuses to cancel a finished task).
//
// The operation is swapped under the lock of the task's entity, which the
// simulator's task goroutine takes before running the operation when tasks
// are delayed without lock hand-off (simulator.TaskDelay.MethodDelay
// "LockHandoff": 0, as the slow-task tests set). With hand-off, the lock is
// held from the start of the task until its operation has run, so the swap
// waits for that and changes nothing.
func honourCancel(m *simulator.Model, ref types.ManagedObjectReference) {
	t, ok := m.Map().Get(ref).(*simulator.Task)
	if !ok || t.Info.Entity == nil {
		return
	}
	m.Map().WithLock(&simulator.Context{}, *t.Info.Entity, func() {
		t.Execute = func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, &types.RequestCanceled{}
		}
	})
}
