package mcpserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

type powerOut struct {
	VM            struct{ ID, Name, Path string } `json:"vm"`
	Operation     string                          `json:"operation"`
	PreviousState string                          `json:"previous_state"`
	PowerState    string                          `json:"power_state"`
	Changed       bool                            `json:"changed"`
	Task          string                          `json:"task"`
}

// TestPowerLifecycle walks one VM through every power operation, by name,
// path, id and UUID, checking each answer and the state vSphere reports.
func TestPowerLifecycle(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	const name = "DC0_H0_VM0"
	vm := mustVM(t, e, name)
	id, path, uuid := vm.Self.Value, "/DC0/vm/"+name, vm.Config.Uuid

	steps := []struct {
		tool        string
		args        map[string]any
		setup       func()
		wantOp      string
		wantChanged bool
		want        string // power state in the answer and in vSphere
		wantText    string
	}{
		{"power_on_vm", map[string]any{"name": name}, nil, "power_on", false, "poweredOn", "was already poweredOn"},
		{"power_off_vm", map[string]any{"name": path}, nil, "power_off", true, "poweredOff", "Powered off"},
		{"power_off_vm", map[string]any{"name": id}, nil, "power_off", false, "poweredOff", "was already poweredOff"},
		{"power_on_vm", map[string]any{"name": uuid}, nil, "power_on", true, "poweredOn", "Powered on"},
		{"suspend_vm", map[string]any{"name": name}, nil, "suspend", true, "suspended", "Suspended"},
		{"suspend_vm", map[string]any{"name": name}, nil, "suspend", false, "suspended", "was already suspended"},
		{"power_on_vm", map[string]any{"name": name}, nil, "power_on", true, "poweredOn", "Resumed"},
		{"restart_vm", map[string]any{"name": name}, nil, "reset", true, "poweredOn", "Reset"},
		{"restart_vm", map[string]any{"name": name, "mode": "guest"}, func() { setToolsRunning(t, e, name) }, "guest_reboot", true, "poweredOn", "reboot"},
		{"power_off_vm", map[string]any{"name": name, "mode": "guest"}, nil, "guest_shutdown", true, "poweredOff", "shut down cleanly"},
		{"power_off_vm", map[string]any{"name": name, "mode": "guest"}, nil, "power_off", false, "poweredOff", "was already poweredOff"},
	}
	for i, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		res := e.Call(t, s.tool, s.args)
		if res.IsError {
			t.Fatalf("step %d %s(%v): %s", i, s.tool, s.args, testenv.Text(res))
		}
		var got powerOut
		decode(t, res.StructuredContent, &got)
		if got.Operation != s.wantOp || got.Changed != s.wantChanged || got.PowerState != s.want || got.VM.ID != id {
			t.Errorf("step %d %s(%v) = %+v; want operation %s, changed %v, state %s", i, s.tool, s.args, got, s.wantOp, s.wantChanged, s.want)
		}
		if !strings.Contains(testenv.Text(res), s.wantText) {
			t.Errorf("step %d %s: text %q lacks %q", i, s.tool, testenv.Text(res), s.wantText)
		}
		if s.wantChanged && got.Task == "" && got.Operation != "guest_reboot" && got.Operation != "guest_shutdown" {
			t.Errorf("step %d %s: no task id in %+v", i, s.tool, got)
		}
		if st := powerState(t, e, name); st != s.want {
			t.Errorf("step %d %s: vSphere says %s, want %s", i, s.tool, st, s.want)
		}
	}
}

// TestGuestShutdownTimeout: a guest that does not shut down within
// timeout_seconds is reported and left running.
func TestGuestShutdownTimeout(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	const name = "DC0_H0_VM1"
	setToolsRunning(t, e, name)
	// The simulated guest takes 3 s to shut down; the VM is not locked meanwhile.
	slowTasks(t, e, map[string]int{"ShutdownGuest": 3000, "LockHandoff": 0})

	msg := testenv.CallErr(t, e, "power_off_vm", map[string]any{"name": name, "mode": "guest", "timeout_seconds": 1})
	for _, want := range []string{"guest shutdown of VM " + name, "still poweredOn after 1s", "left running", "mode: hard"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if st := powerState(t, e, name); st != "poweredOn" {
		t.Errorf("right after the timeout vSphere says %s, want poweredOn (left running)", st)
	}
	// Let the simulated shutdown finish before the simulator is torn down.
	waitPoweredOff(t, e, name)
}

// TestWaitsEndAtShutdown: when the server stops waiting at shutdown (the
// end of its grace period calls StopWaiting), the waits that are not a
// task's — a guest shutdown's and get_task's — end at once with an answer
// that says so and what is known, as task waits do, instead of holding the
// shutdown until they time out.
func TestWaitsEndAtShutdown(t *testing.T) {
	e := testenv.New(t, testenv.Options{TaskWait: time.Second})
	const guest = "DC0_H0_VM1"
	setToolsRunning(t, e, guest)
	// A guest that takes 4 s to shut down, a clone that takes 4 s.
	slowTasks(t, e, map[string]int{"ShutdownGuest": 4000, "CloneVm": 4000, "LockHandoff": 0})

	clone := testenv.CallOK[struct {
		TaskID string `json:"task_id"`
		State  string `json:"state"`
	}](t, e, "clone_vm", map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "shutdown-clone"})
	if clone.State != "running" {
		t.Fatalf("clone_vm answered %+v; want the task still running after task_wait_seconds", clone)
	}

	type answer struct {
		res  *mcp.CallToolResult
		took time.Duration
	}
	call := func(name string, args map[string]any) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			start := time.Now()
			res, err := e.Client.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			ch <- answer{res, time.Since(start)}
		}()
		return ch
	}
	guestDone := call("power_off_vm", map[string]any{"name": guest, "mode": "guest", "timeout_seconds": 60})
	taskDone := call("get_task", map[string]any{"task_id": clone.TaskID, "wait_seconds": 60})
	time.Sleep(500 * time.Millisecond) // both are waiting now
	e.VS.StopWaiting()

	g, tk := <-guestDone, <-taskDone
	if g.res == nil || tk.res == nil {
		t.Fatal("a call failed at the protocol level")
	}
	if text := testenv.Text(g.res); !g.res.IsError || !strings.Contains(text, "shutting down") || !strings.Contains(text, "still poweredOn") {
		t.Errorf("power_off_vm (guest) at shutdown answered %q; want an error saying the server is shutting down and the VM was still poweredOn", text)
	}
	var st struct {
		State string `json:"state"`
		Note  string `json:"note"`
	}
	decode(t, tk.res.StructuredContent, &st)
	if tk.res.IsError || st.State != "running" || !strings.Contains(st.Note, "shutting down") {
		t.Errorf("get_task at shutdown answered %s; want state running with a note that the server is shutting down", testenv.Text(tk.res))
	}
	// Both answered well before the guest (4 s) or the clone (4 s) ended.
	for name, a := range map[string]answer{"power_off_vm": g, "get_task": tk} {
		if a.took > 3500*time.Millisecond {
			t.Errorf("%s took %s to answer after the shutdown began", name, a.took)
		}
	}
	// Let the simulated shutdown finish before the simulator is torn down.
	waitPoweredOff(t, e, guest)
}

// waitPoweredOff waits (govmomi's waiter) until vSphere reports the VM powered off.
func waitPoweredOff(t *testing.T, e *testenv.Env, name string) {
	t.Helper()
	err := property.Wait(context.Background(), property.DefaultCollector(e.Vim), mustVM(t, e, name).Self, []string{"runtime.powerState"},
		func(changes []types.PropertyChange) bool {
			for _, c := range changes {
				if c.Val == types.VirtualMachinePowerStatePoweredOff {
					return true
				}
			}
			return false
		})
	if err != nil {
		t.Fatal(err)
	}
}
