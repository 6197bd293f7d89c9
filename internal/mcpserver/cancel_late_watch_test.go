package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestCancelAnswersAtFirstFinalState: with LateCancelWatch off, as for a real
// vCenter, a cancelled create or clone is answered as soon as vSphere ends the
// task cancelled: the answer says the task was cancelled and nothing was
// changed, and it reaches the server's log before the simulator's delayed
// completion of the task. The order is read from one stream of events (the
// server's log records and the task's states as an independent session sees
// them), not from a clock.
//
// Simulator-only: govmomi's simulator still performs a cancelled task's
// operation when its delay ends and then reports the task successful, so the
// VM appears after the answer. A real vCenter's cancelled task stays
// cancelled; that is why the server stops watching at the first final state
// there, and why the fixture (and --simulator) set LateCancelWatch to see and
// undo the late VM (TestCancelLeavesNothing).
func TestCancelAnswersAtFirstFinalState(t *testing.T) {
	for _, c := range cancelCases("prompt-cancel") {
		t.Run(c.tool, func(t *testing.T) {
			progress := newProgressLog()
			logs := make(logRecords, 1000)
			e := testenv.New(t, testenv.Options{
				ClientOptions:   &mcp.ClientOptions{ProgressNotificationHandler: progress.handler},
				Logger:          testLogger(logs),
				LateCancelWatch: -1, // a real vCenter's setting
			})
			// A delay long enough that the task is still pending when the server
			// answers; LockHandoff 0 lets the simulator serve reads of the
			// task's object meanwhile, so the inventory can be read at the answer.
			slowTasks(t, map[string]int{c.task: 5000, "LockHandoff": 0})
			before := inventory(t, e)

			id, cancel, returned := startSlowCall(t, e, progress, c)
			taskRef := types.ManagedObjectReference{Type: "Task", Value: id}
			states := watchTaskStates(t, e, taskRef)
			cancel()
			if err := <-returned; err == nil {
				t.Fatal("the cancelled call returned no error to the client")
			}

			// One stream of events, in the order the test learns them.
			var events []string
			var answer string
			var inventoryAtAnswer []string
			deadline := time.After(waitLimit)
			for !slices.Contains(events, "task success") {
				select {
				case r := <-logs:
					if r.Message == "tool returned an error" && attr(r, "tool") == c.tool {
						answer = attr(r, "error")
						events = append(events, "answer")
						inventoryAtAnswer = inventory(t, e)
					}
				case s := <-states:
					events = append(events, "task "+s)
				case <-deadline:
					t.Fatalf("events so far %v; the simulator's delayed completion or the answer never came", events)
				}
			}
			t.Logf("events: %v; server's answer: %s", events, answer)

			answerAt, successAt := slices.Index(events, "answer"), slices.Index(events, "task success")
			if answerAt < 0 || answerAt > successAt {
				t.Fatalf("the server answered after the task's delayed completion: events %v", events)
			}
			for _, want := range []string{"cancelled by the client", "vSphere task " + id + " was cancelled", "nothing was changed"} {
				if !strings.Contains(answer, want) {
					t.Errorf("answer %q lacks %q", answer, want)
				}
			}
			if !slices.Equal(before, inventoryAtAnswer) {
				t.Errorf("inventory at the answer changed:\nbefore %v\nat answer %v", before, inventoryAtAnswer)
			}
			// Simulator-only: the operation completed after all, and with
			// LateCancelWatch off nothing removed it. On a real vCenter it
			// would not have run.
			if vmNamed(t, e, c.vm) == nil {
				t.Errorf("the simulator's late completion made no VM %s; this test's premise no longer holds", c.vm)
			}
		})
	}
}

// watchTaskStates reports each state a task passes through, as an independent
// session sees it, until it succeeds or the test ends.
func watchTaskStates(t *testing.T, e *testenv.Env, task types.ManagedObjectReference) <-chan string {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), waitLimit)
	out := make(chan string, 16)
	done := make(chan struct{})
	t.Cleanup(func() { stop(); <-done })
	go func() {
		defer close(done)
		err := property.Wait(ctx, property.DefaultCollector(e.Vim), task, []string{"info.state"}, func(changes []types.PropertyChange) bool {
			for _, ch := range changes {
				if s, ok := ch.Val.(types.TaskInfoState); ok {
					out <- string(s)
					if s == types.TaskInfoStateSuccess {
						return true
					}
				}
			}
			return false
		})
		if err != nil && ctx.Err() == nil {
			t.Errorf("watching task %s: %v", task.Value, err)
		}
	}()
	return out
}
