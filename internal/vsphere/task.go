package vsphere

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
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

// beat repeats the current position, a hair further on (a progress value must
// increase from one notification to the next), so that a client that resets
// its request timeout on progress keeps waiting while vSphere reports nothing new.
func (t *tracker) beat(message string) {
	if t == nil || t.report == nil {
		return
	}
	ceiling := float64(t.step+1) / float64(t.steps) * 100
	next := t.last + 0.01
	if next >= ceiling {
		return
	}
	t.last, t.sent = next, true
	t.report(next, message)
}

func (t *tracker) stepDone(message string) {
	if t == nil {
		return
	}
	t.note(100, message)
	t.step = min(t.step+1, t.steps)
}

const (
	// startTimeout bounds the request that starts a task. It runs detached from
	// the caller: a cancel that arrives meanwhile must not lose the task id,
	// or a task vCenter starts anyway could never be cancelled or undone.
	startTimeout = 2 * time.Minute
	// cancelOutcomeWait bounds how long, after asking vSphere to cancel a task,
	// we wait for the task's final state. An accepted cancel ends the task within
	// moments; a refused one leaves it running, and the answer then says so.
	cancelOutcomeWait = 30 * time.Second
	// rereadTimeout bounds reading a task's state after a failed wait.
	rereadTimeout = 30 * time.Second
	// waitAttempts is how often a task is waited for when the wait itself
	// (not the task) fails before its outcome is said to be unknown.
	waitAttempts = 5
	// retryPause is the pause before the second wait; it doubles with each retry.
	retryPause = 250 * time.Millisecond
	// heartbeatEvery is how often a progress notification repeats the
	// position while a task reports nothing new.
	heartbeatEvery = 15 * time.Second
)

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
		msg += fmt.Sprintf("; it may still complete: check it with get_task {\"task_id\": %q}", e.Task)
	}
	return msg
}

func (e *CancelledError) Unwrap() error { return context.Canceled }

// TaskRunningError says that the server stopped waiting for a vSphere task
// that is still running on vCenter: the wait limit (task_wait_seconds) passed,
// or the server is shutting down. It is an answer, not a failure: the task
// goes on, and get_task follows it.
type TaskRunningError struct {
	What     string // what was being done, e.g. "cloning VM a to b"
	Task     string // task id, e.g. task-81
	State    string // queued or running
	Progress int32  // percent done, as vSphere last reported it
	Reason   string // why the server stopped waiting
	// Pending says what the operation will not do by itself once the task ends
	// (e.g. power on the new VM), when there is such a step.
	Pending string
}

func (e *TaskRunningError) Error() string {
	msg := fmt.Sprintf("%s: vSphere task %s is still %s on vCenter (%d%% done); the server stopped waiting because %s. "+
		"Follow it with get_task {\"task_id\": %q} (wait_seconds waits for the end)", e.What, e.Task, e.State, e.Progress, e.Reason, e.Task)
	if e.Pending != "" {
		msg += "; " + e.Pending
	}
	return msg
}

// TaskUnknownError says that a vSphere task was started but its outcome could
// not be learnt: waiting for it failed and so did reading its state. The
// operation may or may not have happened.
type TaskUnknownError struct {
	What string
	Task string
	err  error // the last failure to learn the state
}

func (e *TaskUnknownError) Error() string {
	msg := fmt.Sprintf("%s: started as vSphere task %s, but its outcome is unknown: the server could not follow the task", e.What, e.Task)
	if e.err != nil {
		msg += fmt.Sprintf(" (%s)", describeFault("reading it", e.err))
	}
	return msg + fmt.Sprintf(". It may have completed: check with get_task {\"task_id\": %q} before trying again", e.Task)
}

func (e *TaskUnknownError) Unwrap() error { return e.err }

// runTask waits for a vSphere task with govmomi's waiter (property-collector
// updates, no polling), forwarding its progress to tr. The answer follows the
// task's real final state: when waiting fails, the task is read again (and
// waited for again) rather than the operation being called failed. When ctx is
// cancelled it cancels the vSphere task and returns a *CancelledError; past
// the wait limit, or when the server shuts down, a *TaskRunningError.
func (c *Client) runTask(ctx context.Context, t *object.Task, what string, tr *tracker) (*types.TaskInfo, error) {
	id := t.Reference().Value
	c.tasks.remember(id, what)
	wctx, stop := c.tasks.waitContext(ctx)
	defer stop()

	var lastErr error
	for attempt := 1; ; attempt++ {
		info, err := c.waitOnce(wctx, t, what, tr)
		if !isFinal(info) {
			switch {
			case ctx.Err() != nil:
				return nil, c.cancelTask(ctx, t, what)
			case wctx.Err() != nil:
				// The limit may have raced the task's end: answer what vSphere says now.
				now, rerr := c.readTask(ctx, t.Reference())
				if rerr == nil && isFinal(now) {
					return c.finished(ctx, t, what, tr, now)
				}
				return nil, c.stillRunning(t, what, context.Cause(wctx), now)
			}
			// The wait failed, not (as far as we know) the task: read it again.
			lastErr = err
			c.log.Warn("waiting for a vSphere task failed; reading its state again", "task", id, "what", what, "attempt", attempt, "error", err)
			info, err = c.readTask(ctx, t.Reference())
			if err != nil {
				lastErr = err
			}
		}
		if isFinal(info) {
			return c.finished(ctx, t, what, tr, info)
		}
		if attempt >= waitAttempts {
			if info != nil {
				// Known to be still running, but the server cannot follow it.
				c.log.Error("cannot wait for a vSphere task that is still running", "task", id, "what", what, "error", lastErr)
				reason := "waiting for it kept failing"
				if lastErr != nil {
					reason += " (" + describeFault("waiting", lastErr).Error() + ")"
				}
				return nil, &TaskRunningError{What: what, Task: id, State: string(info.State), Progress: info.Progress, Reason: reason}
			}
			c.log.Error("the outcome of a vSphere task is unknown", "task", id, "what", what, "error", lastErr)
			return nil, &TaskUnknownError{What: what, Task: id, err: lastErr}
		}
		// Retry after a pause that grows: a failed wait is retried, not the state polled.
		select {
		case <-wctx.Done():
		case <-time.After(retryPause << (attempt - 1)):
		}
	}
}

// finished turns a task's final state into runTask's answer.
func (c *Client) finished(ctx context.Context, t *object.Task, what string, tr *tracker, info *types.TaskInfo) (*types.TaskInfo, error) {
	id := t.Reference().Value
	if info.State != types.TaskInfoStateSuccess {
		return info, describeFault(what, task.Error{LocalizedMethodFault: orFault(info.Error), Description: info.Description})
	}
	c.afterTask(ctx, info)
	tr.stepDone(fmt.Sprintf("%s: vSphere task %s done", what, id))
	if ctx.Err() != nil {
		// Cancelled after vSphere had finished: too late to cancel, but whoever
		// undoes the operation (a create or clone) must know.
		return info, &CancelledError{What: what, Task: id, Refused: "it had already finished", Completed: true, info: info}
	}
	return info, nil
}

// stillRunning is the answer when the server stops waiting for a task that
// has not ended: its state as vSphere reports it now.
func (c *Client) stillRunning(t *object.Task, what string, why error, now *types.TaskInfo) error {
	e := &TaskRunningError{What: what, Task: t.Reference().Value, State: string(types.TaskInfoStateRunning), Reason: "the wait limit passed"}
	if errors.Is(why, errShuttingDown) {
		e.Reason = "the server is shutting down"
	} else if d := c.tasks.waitLimit(); d > 0 {
		e.Reason = fmt.Sprintf("task_wait_seconds (%s) passed", d)
	}
	if now != nil {
		e.State, e.Progress = string(now.State), now.Progress
	}
	c.log.Info("answering while a vSphere task still runs", "task", e.Task, "what", what, "reason", e.Reason)
	return e
}

// readTask reads a task's info, detached from the caller and bounded.
func (c *Client) readTask(ctx context.Context, ref types.ManagedObjectReference) (*types.TaskInfo, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rereadTimeout)
	defer cancel()
	var t mo.Task
	if err := property.DefaultCollector(c.vim).RetrieveOne(rctx, ref, []string{"info"}, &t); err != nil {
		return nil, err
	}
	return &t.Info, nil
}

// cancelTask asks vSphere to cancel a task whose request was cancelled, and
// waits (detached from the request, bounded) for the task's first final state:
// a cancelled task stays cancelled, and one that succeeded despite the cancel
// is reported as completed (create and clone then undo it).
func (c *Client) cancelTask(ctx context.Context, t *object.Task, what string) *CancelledError {
	defer c.tasks.cleanup()()
	dctx, done := context.WithTimeout(context.WithoutCancel(ctx), cancelOutcomeWait)
	defer done()
	e := &CancelledError{What: what, Task: t.Reference().Value}
	err := t.Cancel(dctx)
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
	e.info, err = c.settle(dctx, t)
	if err != nil {
		c.log.Warn("could not learn the outcome of a cancelled vSphere task", "task", e.Task, "error", err)
	}
	e.Completed = e.info != nil && e.info.State == types.TaskInfoStateSuccess
	if e.Completed {
		c.afterTask(dctx, e.info)
	}
	c.log.Info("vSphere task cancelled by the client", "task", e.Task, "what", what, "accepted", e.Accepted, "completed", e.Completed)
	return e
}

// settle waits for a task's first final state; when the wait fails, it reads
// the task's state instead.
func (c *Client) settle(ctx context.Context, t *object.Task) (*types.TaskInfo, error) {
	info, err := c.waitOnce(ctx, t, "", nil)
	if isFinal(info) {
		return info, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if info, rerr := c.readTask(ctx, t.Reference()); rerr == nil && isFinal(info) {
		return info, nil
	}
	return nil, err
}

// do starts a vSphere task and waits for it (see runTask). The request that
// starts the task runs detached from ctx (bounded by startTimeout), so that
// the server always learns the task: a cancel that arrived meanwhile then
// cancels the task rather than leaving it unknown.
func (c *Client) do(ctx context.Context, what string, tr *tracker, start func(context.Context) (*object.Task, error)) (*object.Task, *types.TaskInfo, error) {
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("%s was cancelled by the client before vSphere was asked; nothing was changed: %w", what, ctx.Err())
	}
	// Detached, except while the request still waits for a connection to
	// vCenter: a caller that gives up then has changed nothing.
	sctx, cancel := context.WithTimeout(withCallerDone(context.WithoutCancel(ctx), ctx), startTimeout)
	t, err := start(sctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, nil, fmt.Errorf("%s was cancelled by the client before vSphere was asked; nothing was changed: %w", what, ctx.Err())
		}
		return nil, nil, describeFault(what, err)
	}
	info, err := c.runTask(ctx, t, what, tr)
	return t, info, err
}

func isFinal(info *types.TaskInfo) bool {
	return info != nil && (info.State == types.TaskInfoStateSuccess || info.State == types.TaskInfoStateError)
}

func orFault(f *types.LocalizedMethodFault) *types.LocalizedMethodFault {
	if f == nil {
		return &types.LocalizedMethodFault{Fault: &types.SystemError{}, LocalizedMessage: "the task ended in error without a fault"}
	}
	return f
}

// newVMOf returns the VM a successful create or clone task made.
func newVMOf(info *types.TaskInfo) (types.ManagedObjectReference, bool) {
	if info == nil {
		return types.ManagedObjectReference{}, false
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	return ref, ok && ref.Type == "VirtualMachine"
}
