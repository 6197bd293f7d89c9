package vsphere

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/progress"
	"github.com/vmware/govmomi/vim25/types"
)

// Progress receives how far a long operation is: percent done (0 to 100,
// increasing from one call to the next) and what is happening. Calls come from
// one goroutine at a time.
type Progress func(percent float64, message string)

// tracker maps the progress of the vSphere tasks of one operation (say, power
// off then destroy) onto one increasing 0–100 scale.
type tracker struct {
	report Progress
	steps  int // tasks the operation runs
	step   int // tasks finished
	last   float64
	sent   bool
}

func newTracker(p Progress, steps int) *tracker {
	return &tracker{report: p, steps: max(steps, 1)}
}

// note reports a message at the current position, or at pct percent of the current step.
func (t *tracker) note(pct float64, message string) {
	if t == nil || t.report == nil {
		return
	}
	overall := (float64(t.step) + min(max(pct, 0), 100)/100) / float64(t.steps) * 100
	if t.sent && overall <= t.last {
		return
	}
	t.last, t.sent = overall, true
	t.report(overall, message)
}

func (t *tracker) stepDone(message string) {
	if t == nil {
		return
	}
	t.note(100, message)
	t.step = min(t.step+1, t.steps)
}

// cancelOutcomeWait bounds how long, after asking vSphere to cancel a task,
// we wait for the task's final state. An accepted cancel ends the task within
// moments; a refused one leaves it running, and the answer then says so.
const cancelOutcomeWait = 30 * time.Second

// CancelledError says that the client cancelled an operation while a vSphere
// task was running, and what became of that task.
type CancelledError struct {
	What     string // what was being done, e.g. "cloning VM a to b"
	Task     string // task id, e.g. task-81
	Accepted bool   // vSphere accepted the cancel
	Refused  string // why vSphere did not cancel, when it did not
	// Completed is set when the task finished successfully despite the cancel.
	Completed bool
	// Undone says what was removed again after a late completion; UndoErr why that failed.
	Undone  string
	UndoErr error

	info *types.TaskInfo // the task's final state, when known
}

func (e *CancelledError) Error() string {
	msg := fmt.Sprintf("%s was cancelled by the client", e.What)
	switch {
	case e.Accepted:
		msg += fmt.Sprintf("; vSphere task %s was cancelled", e.Task)
	case e.Refused != "":
		msg += fmt.Sprintf("; vSphere did not cancel task %s (%s)", e.Task, e.Refused)
	}
	if e.Completed {
		msg += "; the task completed anyway"
	}
	switch {
	case e.Undone != "":
		msg += "; " + e.Undone
	case e.UndoErr != nil:
		msg += "; " + e.UndoErr.Error()
	case e.Completed:
	case e.info != nil && e.info.State == types.TaskInfoStateError:
		msg += "; nothing was changed"
	default:
		msg += "; it may still complete: check the VM"
	}
	return msg
}

func (e *CancelledError) Unwrap() error { return context.Canceled }

// runTask waits for a vSphere task with govmomi's waiter (property-collector
// updates, no polling), forwarding its progress to tr. When ctx is cancelled it
// cancels the vSphere task and returns a *CancelledError describing the outcome.
func (c *Client) runTask(ctx context.Context, task *object.Task, what string, tr *tracker) (*types.TaskInfo, error) {
	id := task.Reference().Value
	var sink progress.Sinker
	var wg sync.WaitGroup
	if tr != nil && tr.report != nil {
		// Buffered: the waiter drops intermediate reports it cannot deliver at once.
		ch := make(chan progress.Report, 16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range ch {
				if r.Error() == nil {
					tr.note(float64(r.Percentage()), fmt.Sprintf("%s: vSphere task %s at %.0f%%", what, id, r.Percentage()))
				}
			}
		}()
		sink = progress.SinkFunc(func() chan<- progress.Report { return ch })
	}
	info, err := task.WaitForResult(ctx, sink)
	wg.Wait()
	succeeded := err == nil && info != nil && info.State == types.TaskInfoStateSuccess
	switch {
	case succeeded:
		c.afterTask(ctx, info)
		tr.stepDone(fmt.Sprintf("%s: vSphere task %s done", what, id))
		return info, nil
	case ctx.Err() != nil:
		// govmomi's waiter returns no error when its context is cancelled.
		return nil, c.cancelTask(ctx, task, what)
	case err == nil:
		return info, fmt.Errorf("%s: vSphere task %s ended in state %v", what, id, stateOf(info))
	}
	return info, describeFault(what, err)
}

// cancelTask asks vSphere to cancel a task whose request was cancelled, and
// waits (detached from the request, bounded) for the task's final outcome.
func (c *Client) cancelTask(ctx context.Context, task *object.Task, what string) *CancelledError {
	dctx, done := context.WithTimeout(context.WithoutCancel(ctx), cancelOutcomeWait+c.lateCancelWatch)
	defer done()
	e := &CancelledError{What: what, Task: task.Reference().Value}
	err := task.Cancel(dctx)
	switch {
	case err == nil:
		e.Accepted = true
	case fault.Is(err, &types.InvalidState{}):
		e.Refused = "it had already finished"
	case fault.Is(err, &types.NotSupported{}):
		e.Refused = "vSphere cannot cancel this kind of task"
	default:
		e.Refused = describeFault("cancelling", err).Error()
		c.log.Warn("cancelling a vSphere task failed", "task", e.Task, "error", err)
	}
	e.info, err = c.settle(dctx, task, e.Accepted)
	if err != nil {
		c.log.Warn("could not learn the outcome of a cancelled vSphere task", "task", e.Task, "error", err)
	}
	e.Completed = e.info != nil && e.info.State == types.TaskInfoStateSuccess
	c.log.Info("vSphere task cancelled by the client", "task", e.Task, "what", what, "accepted", e.Accepted, "completed", e.Completed)
	return e
}

// settle waits for a task's final state. On a real vCenter that is the first
// one: a cancelled task stays cancelled, and a task that succeeded despite the
// cancel is reported as completed (create and clone then undo it). Only when
// c.lateCancelWatch is set (govmomi's simulator, which marks a cancelled task
// failed at once yet still completes the operation when its delay ends) does
// an accepted cancel's error state not count: it watches on until the task
// succeeds, fails for another reason, or the window passes.
func (c *Client) settle(ctx context.Context, task *object.Task, cancelled bool) (*types.TaskInfo, error) {
	watchLate := cancelled && c.lateCancelWatch > 0
	wctx := ctx
	if watchLate {
		var done context.CancelFunc
		wctx, done = context.WithTimeout(ctx, c.lateCancelWatch)
		defer done()
	}
	var last *types.TaskInfo
	pc := property.DefaultCollector(c.vim)
	err := property.Wait(wctx, pc, task.Reference(), []string{"info"}, func(changes []types.PropertyChange) bool {
		for _, ch := range changes {
			if info, ok := ch.Val.(types.TaskInfo); ok && ch.Name == "info" {
				last = &info
			}
		}
		if last == nil {
			return false
		}
		switch last.State {
		case types.TaskInfoStateSuccess:
			return true
		case types.TaskInfoStateError:
			return !watchLate || last.Error == nil || !fault.Is(last.Error.Fault, &types.RequestCanceled{})
		}
		return false
	})
	if err != nil && watchLate && errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return last, nil // the cancel held for the whole window
	}
	return last, err
}

// do starts a vSphere task and waits for it (see runTask).
func (c *Client) do(ctx context.Context, what string, tr *tracker, start func(context.Context) (*object.Task, error)) (*object.Task, *types.TaskInfo, error) {
	task, err := start(ctx)
	if err != nil {
		return nil, nil, describeFault(what, err)
	}
	info, err := c.runTask(ctx, task, what, tr)
	return task, info, err
}

func stateOf(info *types.TaskInfo) string {
	if info == nil {
		return "unknown"
	}
	return string(info.State)
}

// newVMOf returns the VM a successful create or clone task made.
func newVMOf(info *types.TaskInfo) (types.ManagedObjectReference, bool) {
	if info == nil {
		return types.ManagedObjectReference{}, false
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	return ref, ok && ref.Type == "VirtualMachine"
}
