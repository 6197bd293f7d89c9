package vsphere

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/types"
)

// MaxTaskWait bounds get_task's wait_seconds.
const MaxTaskWait = 10 * time.Minute

// taskIDPattern is what a task id looks like (task-42, or session-scoped ids
// such as haTask-... on ESXi).
var taskIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// TaskStatus is a vSphere task as get_task reports it.
type TaskStatus struct {
	ID          string      `json:"task_id" jsonschema:"the task's id, e.g. task-42"`
	State       string      `json:"state" jsonschema:"queued, running, success or error"`
	Progress    int32       `json:"progress" jsonschema:"percent done, as vSphere reports it"`
	What        string      `json:"what,omitempty" jsonschema:"what this server started the task for (only for tasks this server started)"`
	Operation   string      `json:"operation" jsonschema:"vSphere's name of the operation, e.g. VirtualMachine.clone"`
	Target      *TaskTarget `json:"target,omitempty" jsonschema:"the object the task acts on"`
	Queued      *time.Time  `json:"queued_at,omitempty"`
	Started     *time.Time  `json:"started_at,omitempty"`
	Completed   *time.Time  `json:"completed_at,omitempty"`
	Cancelled   bool        `json:"cancelled" jsonschema:"the task was cancelled"`
	StartedHere bool        `json:"started_by_this_server"`
	Result      *TaskResult `json:"result,omitempty" jsonschema:"what the task produced, when it succeeded and produced an object"`
	Error       string      `json:"error,omitempty" jsonschema:"why the task failed, in words"`
	Note        string      `json:"note,omitempty" jsonschema:"why the wait ended before the task did, when it did"`
}

// TaskTarget is the object a task acts on.
type TaskTarget struct {
	Type string `json:"type" jsonschema:"managed object type, e.g. VirtualMachine"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// TaskResult is an object a task produced, e.g. the VM a create or clone made.
type TaskResult struct {
	Type string `json:"type" jsonschema:"managed object type, e.g. VirtualMachine"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Path string `json:"path,omitempty" jsonschema:"inventory path, for a VM"`
}

// Done reports whether the task has ended.
func (s *TaskStatus) Done() bool {
	return s.State == string(types.TaskInfoStateSuccess) || s.State == string(types.TaskInfoStateError)
}

// GetTask reports a vSphere task: one this server started, or any other
// vCenter still knows. With wait > 0 it first waits (govmomi's waiter) up to
// wait for the task to end, reporting its progress to p.
func (c *Client) GetTask(ctx context.Context, id string, wait time.Duration, p Progress) (*TaskStatus, error) {
	if !taskIDPattern.MatchString(id) {
		return nil, fmt.Errorf("task_id %q is not a vSphere task id: give the id a tool named, e.g. task-42", id)
	}
	ref := types.ManagedObjectReference{Type: "Task", Value: id}
	started, here := c.tasks.started(id)
	what := "reading vSphere task " + id
	var note string
	if wait > 0 {
		label := started.What
		if label == "" {
			label = "task " + id
		}
		wctx, cancel := context.WithTimeout(ctx, min(wait, MaxTaskWait))
		sctx, stop := c.tasks.untilShutdown(wctx)
		_, _ = c.waitOnce(sctx, object.NewTask(c.vim, ref), label, newTracker(p, 1))
		shuttingDown := context.Cause(sctx) == errShuttingDown
		stop()
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("get_task for %s was cancelled by the client; the task itself goes on", id)
		}
		if shuttingDown {
			// Answer with the task's state now: the server is going away.
			note = "the server is shutting down, so it stopped waiting; the task itself goes on: ask again once the server is back"
		}
	}
	info, err := c.readTask(ctx, ref)
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			if here {
				return nil, fmt.Errorf("vCenter no longer knows task %s (%s, started %s): it forgets finished tasks after a while; check the result itself (e.g. list_vms or get_vm)",
					id, started.What, started.Started.UTC().Format(time.RFC3339))
			}
			return nil, fmt.Errorf("vCenter knows no task %s: give the id a tool named (vCenter forgets finished tasks after a while)", id)
		}
		return nil, describeFault(what, err)
	}
	s := &TaskStatus{
		ID: id, State: string(info.State), Progress: info.Progress, Operation: info.DescriptionId,
		Cancelled: info.Cancelled, StartedHere: here, What: started.What,
		Queued: timeOrNil(&info.QueueTime), Started: info.StartTime, Completed: info.CompleteTime,
	}
	if note != "" && !s.Done() {
		s.Note = note
	}
	if info.Entity != nil {
		s.Target = &TaskTarget{Type: info.Entity.Type, ID: info.Entity.Value, Name: info.EntityName}
	}
	switch info.State {
	case types.TaskInfoStateSuccess:
		s.Progress = 100
		s.Result = c.taskResult(ctx, info)
	case types.TaskInfoStateError:
		w := started.What
		if w == "" {
			w = info.DescriptionId
		}
		s.Error = describeFault(w, task.Error{LocalizedMethodFault: orFault(info.Error), Description: info.Description}).Error()
	}
	return s, nil
}

// taskResult names the object a task produced; a VM with its inventory path.
func (c *Client) taskResult(ctx context.Context, info *types.TaskInfo) *TaskResult {
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		return nil
	}
	r := &TaskResult{Type: ref.Type, ID: ref.Value}
	if ref.Type != "VirtualMachine" {
		return r
	}
	vm, err := c.retrieveVM(ctx, ref, []string{"name", "parent"})
	if err != nil {
		r.Name = "(no longer in the inventory)"
		return r
	}
	r.Name = vm.Name
	if vm.Parent != nil {
		if pi, err := c.placement(ctx); err == nil {
			r.Path = pi.path(*vm.Parent) + "/" + vm.Name
		}
	}
	return r
}

func timeOrNil(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	return t
}
