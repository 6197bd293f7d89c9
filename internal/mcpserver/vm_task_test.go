package mcpserver_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// waitLimit bounds every wait on something asynchronous; it is a safety net
// against a hung test, not a timing assertion.
const waitLimit = 2 * time.Minute

var taskID = regexp.MustCompile(`task-\d+`)

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu   sync.Mutex
	all  []*mcp.ProgressNotificationParams
	next chan *mcp.ProgressNotificationParams
}

func newProgressLog() *progressLog {
	return &progressLog{next: make(chan *mcp.ProgressNotificationParams, 100)}
}

func (p *progressLog) handler(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p.mu.Lock()
	p.all = append(p.all, req.Params)
	p.mu.Unlock()
	p.next <- req.Params
}

func (p *progressLog) snapshot() []*mcp.ProgressNotificationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.all)
}

// await returns the first notification that satisfies ok.
func (p *progressLog) await(t *testing.T, what string, ok func(*mcp.ProgressNotificationParams) bool) *mcp.ProgressNotificationParams {
	t.Helper()
	for {
		select {
		case n := <-p.next:
			if ok(n) {
				return n
			}
		case <-time.After(waitLimit):
			t.Fatalf("no progress notification %s", what)
		}
	}
}

// TestProgressNotifications: a slowed clone reports its vSphere task's
// progress — including a value set on the task from outside, which proves the
// notifications follow the task rather than a timer.
func TestProgressNotifications(t *testing.T) {
	progress := newProgressLog()
	e := testenv.New(t, testenv.Options{ClientOptions: &mcp.ClientOptions{ProgressNotificationHandler: progress.handler}})
	slowTasks(t, e, map[string]int{"CloneVm": 3000})

	params := &mcp.CallToolParams{Name: "clone_vm", Arguments: map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "progress-clone"}}
	params.SetProgressToken("clone-1")
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := e.Client.CallTool(context.Background(), params)
		if err != nil {
			t.Errorf("clone_vm: %v", err)
		}
		done <- res
	}()

	first := progress.await(t, "naming the vSphere task", func(n *mcp.ProgressNotificationParams) bool { return taskID.MatchString(n.Message) })
	task := object.NewTask(e.Vim, types.ManagedObjectReference{Type: "Task", Value: taskID.FindString(first.Message)})
	if err := task.UpdateProgress(context.Background(), 42); err != nil {
		t.Fatalf("setting the task's progress: %v", err)
	}
	progress.await(t, "at the task's 42%", func(n *mcp.ProgressNotificationParams) bool { return n.Progress == 42 })

	var res *mcp.CallToolResult
	select {
	case res = <-done:
	case <-time.After(waitLimit):
		t.Fatal("clone_vm did not return")
	}
	if res == nil || res.IsError {
		t.Fatalf("clone_vm failed: %v", res)
	}
	// Only what arrived before the result is checked: the last notification may come later.
	got := progress.snapshot()
	for i, n := range got {
		if n.ProgressToken != "clone-1" || n.Total != 100 || n.Progress < 0 || n.Progress > 100 {
			t.Errorf("notification %d = %+v; want token clone-1, total 100", i, n)
		}
		if i > 0 && n.Progress <= got[i-1].Progress {
			t.Errorf("progress does not increase: %v then %v", got[i-1].Progress, n.Progress)
		}
	}
	mustVM(t, e, "progress-clone")
}

// TestCancelLeavesNothing: cancelling a slow clone or create cancels the
// vSphere task and leaves no new VM behind. (The stock simulator would still
// run the cancelled operation when its delay ends; internal/simulator makes
// the cancel hold, as on vCenter.)
func TestCancelLeavesNothing(t *testing.T) {
	for _, c := range cancelCases("cancelled") {
		t.Run(c.tool, func(t *testing.T) {
			progress := newProgressLog()
			logs := make(logRecords, 1000)
			e := testenv.New(t, testenv.Options{
				ClientOptions: &mcp.ClientOptions{ProgressNotificationHandler: progress.handler},
				Logger:        testLogger(logs),
			})
			slowTasks(t, e, map[string]int{c.task: 2000})
			before := inventory(t, e)

			id, cancel, returned := startSlowCall(t, e, progress, c)
			cancel()
			if err := <-returned; err == nil {
				t.Fatal("the cancelled call returned no error to the client")
			}

			// The server answers the cancelled request once the task settled and anything it made was removed.
			var answer string
			deadline := time.After(waitLimit)
			for answer == "" {
				select {
				case r := <-logs:
					if r.Message == "tool returned an error" && attr(r, "tool") == c.tool {
						answer = attr(r, "error")
					}
				case <-deadline:
					t.Fatalf("the server never finished the cancelled %s", c.tool)
				}
			}
			t.Logf("server's answer: %s", answer)
			for _, want := range []string{"cancelled by the client", "vSphere task " + id + " was cancelled", "nothing was changed"} {
				if !strings.Contains(answer, want) {
					t.Errorf("answer %q lacks %q", answer, want)
				}
			}

			var task mo.Task
			if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), types.ManagedObjectReference{Type: "Task", Value: id}, []string{"info"}, &task); err != nil {
				t.Fatal(err)
			}
			if !task.Info.Cancelled {
				t.Errorf("vSphere task %s is not marked cancelled: %+v", id, task.Info)
			}
			if vm := vmNamed(t, e, c.vm); vm != nil {
				t.Errorf("the cancelled VM %s is left behind", vm.Self.Value)
			}
			if after := inventory(t, e); !slices.Equal(before, after) {
				t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// cancelCase is a slow operation that makes a VM, for the cancel tests.
type cancelCase struct {
	tool, task, vm string // tool, simulated task name, name of the VM it would make
	start          string // the SOAP method that starts the task
	args           map[string]any
}

// cancelCases are a clone and a create whose new VMs are named prefix-clone and prefix-create.
func cancelCases(prefix string) []cancelCase {
	return []cancelCase{
		{"clone_vm", "CloneVm", prefix + "-clone", "CloneVM_Task", map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": prefix + "-clone"}},
		{"create_vm", "CreateVm", prefix + "-create", "CreateVM_Task", map[string]any{"name": prefix + "-create", "cpu": 1, "memory": 256}},
	}
}

// startSlowCall calls c's tool with a progress token and returns, once the
// server has named the vSphere task in a progress notification, the task id,
// a cancel for the request, and where the call's error arrives.
func startSlowCall(t *testing.T, e *testenv.Env, progress *progressLog, c cancelCase) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	params := &mcp.CallToolParams{Name: c.tool, Arguments: c.args}
	params.SetProgressToken("cancel-me")
	returned := make(chan error, 1)
	go func() {
		_, err := e.Client.CallTool(ctx, params)
		returned <- err
	}()
	first := progress.await(t, "naming the vSphere task", func(n *mcp.ProgressNotificationParams) bool { return taskID.MatchString(n.Message) })
	return taskID.FindString(first.Message), cancel, returned
}
