package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// taskRunning is the answer of a mutating tool that stopped waiting for its
// vSphere task (task_wait_seconds passed, or the server is shutting down):
// not an error — the task goes on, and get_task follows it.
type taskRunning struct {
	TaskID   string `json:"task_id" jsonschema:"the vSphere task still running; follow it with get_task"`
	State    string `json:"state" jsonschema:"running (or queued): the operation has not finished yet"`
	Progress int32  `json:"progress" jsonschema:"percent done, as vSphere last reported it"`
	What     string `json:"what" jsonschema:"what the task is doing"`
	Message  string `json:"message" jsonschema:"why the tool answered before the end, and what to do next"`
}

// answerRunning wraps a mutating tool's handler: a *vsphere.TaskRunningError
// from the domain becomes a regular answer naming the task, not a tool error.
func answerRunning[In, Out any](h mcp.ToolHandlerFor[In, Out]) mcp.ToolHandlerFor[In, any] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, any, error) {
		res, out, err := h(ctx, req, in)
		var running *vsphere.TaskRunningError
		if errors.As(err, &running) {
			r := taskRunning{TaskID: running.Task, State: running.State, Progress: running.Progress, What: running.What, Message: running.Error()}
			msg := fmt.Sprintf("Still running, not failed: vSphere task %s (%s) is %s on vCenter, %d%% done. %s",
				running.Task, running.What, running.State, running.Progress, running.Error())
			return answer(msg, r), r, nil
		}
		if err != nil {
			return nil, nil, err
		}
		return res, out, nil
	}
}

// taskScope gives every tool call one vSphere task wait budget
// (task_wait_seconds), however many tasks it runs.
func taskScope(vs *vsphere.Client) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				ctx = vs.TaskScope(ctx)
			}
			return next(ctx, method, req)
		}
	}
}

type getTaskInput struct {
	TaskID      string `json:"task_id" jsonschema:"the vSphere task id a tool answered with, e.g. task-42"`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"wait up to this long for the task to end, with progress notifications when asked (default 0: report at once)"`
}

func (h *handlers) taskTools() ([]toolDef, error) {
	d, err := defineTool(&mcp.Tool{
		Name:  "get_task",
		Title: "Follow a vSphere task",
		Description: "Report a vSphere task: one a tool of this server started and answered as still running (create_vm, clone_vm, delete_vm, power tools), or any recent vCenter task. " +
			"Gives its state (queued, running, success, error), progress, start and end times, the object it acts on, and its result (e.g. the new VM's id and path) or its error in words. " +
			"wait_seconds waits up to that long for the end, sending progress notifications when asked; the task goes on whatever happens to this call.",
		Annotations: readOnly(),
	}, h.getTask, func(s *shaper) {
		s.length("task_id", 1, 128)
		s.bounds("wait_seconds", 0, float64(vsphere.MaxTaskWait/time.Second), 0)
	})
	if err != nil {
		return nil, err
	}
	return []toolDef{d}, nil
}

func (h *handlers) getTask(ctx context.Context, req *mcp.CallToolRequest, in getTaskInput) (*mcp.CallToolResult, *vsphere.TaskStatus, error) {
	s, err := h.vs.GetTask(ctx, in.TaskID, time.Duration(in.WaitSeconds)*time.Second, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	what := s.What
	if what == "" {
		what = s.Operation
	}
	var msg string
	switch s.State {
	case "success":
		msg = fmt.Sprintf("Task %s (%s) succeeded", s.ID, what)
		if s.Result != nil {
			msg += fmt.Sprintf("; result: %s %s (%s)", s.Result.Name, s.Result.ID, s.Result.Path)
		}
		msg += "."
	case "error":
		msg = fmt.Sprintf("Task %s (%s) failed: %s.", s.ID, what, s.Error)
		if s.Cancelled {
			msg = fmt.Sprintf("Task %s (%s) was cancelled: %s.", s.ID, what, s.Error)
		}
	default:
		msg = fmt.Sprintf("Task %s (%s) is still %s (%d%% done); call get_task again (wait_seconds waits for the end).", s.ID, what, s.State, s.Progress)
	}
	return answer(msg, s), s, nil
}
