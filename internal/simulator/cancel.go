package simulator

import (
	"context"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// cancels makes cancels hold, and remembers the cancelled tasks whose
// simulated run is still to come (see AwaitTasks).
type cancels struct {
	m       *simulator.Model
	mu      sync.Mutex
	pending map[*simulator.Task]chan struct{} // closed when the task's delayed run has happened
}

// honour makes a cancelled task's operation not happen, as on vCenter.
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
func (c *cancels) honour(ref types.ManagedObjectReference) {
	t, ok := c.m.Map().Get(ref).(*simulator.Task)
	if !ok || t.Info.Entity == nil {
		return
	}
	ran := make(chan struct{})
	c.m.Map().WithLock(&simulator.Context{}, *t.Info.Entity, func() {
		var final bool
		c.m.Map().WithLock(&simulator.Context{}, t, func() { final = isFinal(t) })
		if final {
			return
		}
		t.Execute = func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			close(ran)
			return nil, &types.RequestCanceled{}
		}
		c.mu.Lock()
		c.pending[t] = ran
		c.mu.Unlock()
	})
}

func isFinal(t *simulator.Task) bool {
	return t.Info.State == types.TaskInfoStateSuccess || t.Info.State == types.TaskInfoStateError
}

// AwaitTasks waits until every task of the simulator has ended — including
// the delayed run of a cancelled task, which the simulator performs after the
// task already shows as cancelled — or until ctx ends. A test that changes the
// package-wide simulator.TaskDelay calls it before restoring the delays: a
// task sleeping through its delay reads them. It checks each task's state
// every few milliseconds (test support, not server code).
func (s *Simulator) AwaitTasks(ctx context.Context) error {
	m := s.model.Map()
	for _, r := range m.AllReference("Task") {
		t, ok := r.(*simulator.Task)
		if !ok {
			continue
		}
		s.cancels.mu.Lock()
		ran := s.cancels.pending[t]
		s.cancels.mu.Unlock()
		for {
			var final bool
			m.WithLock(&simulator.Context{}, t, func() { final = isFinal(t) })
			if final && ran != nil {
				select {
				case <-ran:
					ran = nil
				default:
				}
			}
			if final && ran == nil {
				break
			}
			select {
			case <-ctx.Done():
				m.WithLock(&simulator.Context{}, t, func() {}) // whatever ran meanwhile happened before this
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}
