package mcpserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/object"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// waitFault is a fault on one of the SOAP calls made while waiting for a task.
type waitFault struct {
	method string
	fault  func() *vsim.FaultInjectionRule
	once   bool // on the next request of the method only
}

func faultOn(method string, f types.BaseMethodFault) waitFault {
	return waitFault{method: method, fault: func() *vsim.FaultInjectionRule {
		return &vsim.FaultInjectionRule{
			MethodName: method, ObjectType: "*", ObjectName: "*", Probability: 1, Enabled: true,
			FaultType: vsim.FaultTypeCustom, Fault: f,
		}
	}}
}

var waitFaults = []waitFault{
	faultOn("CreatePropertyCollector", &types.SystemError{Reason: "injected"}),
	faultOn("CreateFilter", &types.SystemError{Reason: "injected"}),
	faultOn("WaitForUpdatesEx", &types.SystemError{Reason: "injected"}),
	faultOn("DestroyPropertyFilter", &types.SystemError{Reason: "injected"}),
	faultOn("DestroyPropertyCollector", &types.SystemError{Reason: "injected"}),
	{"WaitForUpdatesEx (session expired)", func() *vsim.FaultInjectionRule {
		return &vsim.FaultInjectionRule{
			MethodName: "WaitForUpdatesEx", ObjectType: "*", ObjectName: "*", Probability: 1, Enabled: true,
			FaultType: vsim.FaultTypeNotAuthenticated,
		}
	}, true},
}

// taskTool is a tool call that runs a vSphere task, and how to see from
// vSphere that it happened.
type taskTool struct {
	tool    string
	args    map[string]any
	prepare func(t *testing.T, e *testenv.Env)
	check   func(t *testing.T, e *testenv.Env)
}

var taskTools = []taskTool{
	{"create_vm", map[string]any{"name": "fault-create", "cpu": 1, "memory": 256}, nil,
		func(t *testing.T, e *testenv.Env) { mustVM(t, e, "fault-create") }},
	{"clone_vm", map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "fault-clone"}, nil,
		func(t *testing.T, e *testenv.Env) { mustVM(t, e, "fault-clone") }},
	{"power_off_vm", map[string]any{"name": "DC0_C0_RP0_VM0"},
		func(t *testing.T, e *testenv.Env) { setPower(t, e, "DC0_C0_RP0_VM0", "poweredOn") },
		func(t *testing.T, e *testenv.Env) {
			if s := powerState(t, e, "DC0_C0_RP0_VM0"); s != "poweredOff" {
				t.Errorf("VM is %s, want poweredOff", s)
			}
		}},
	{"delete_vm", map[string]any{"name": "DC0_C0_RP0_VM0"},
		func(t *testing.T, e *testenv.Env) { setPower(t, e, "DC0_C0_RP0_VM0", "poweredOff") },
		func(t *testing.T, e *testenv.Env) {
			if vmNamed(t, e, "DC0_C0_RP0_VM0") != nil {
				t.Error("the VM still exists")
			}
		}},
}

// TestWaitFaultsFollowTheTask: a fault on any SOAP call made while waiting
// for a task (or the session expiring mid-wait) does not turn a task that
// succeeded into an error: the answer follows the task's real final state,
// which the server reads again after the failed wait.
func TestWaitFaultsFollowTheTask(t *testing.T) {
	for _, f := range waitFaults {
		for _, tt := range taskTools {
			t.Run(f.method+"/"+tt.tool, func(t *testing.T) {
				e := testenv.New(t, testenv.Options{})
				if tt.prepare != nil {
					tt.prepare(t, e)
				}
				if f.once {
					e.Sim.FaultOnce(f.fault())
				} else {
					e.Sim.Model().Service.AddFaultRule(f.fault())
				}
				res := e.Call(t, tt.tool, tt.args)
				if res.IsError {
					t.Fatalf("%s answered an error although its task succeeded: %s", tt.tool, testenv.Text(res))
				}
				tt.check(t, e)
			})
		}
	}
}

// TestTaskOutcomeUnknown: when neither the wait nor reading the task works,
// the answer names the task, says its outcome is unknown and how to check it
// — never that the operation failed; get_task then reports what happened.
func TestTaskOutcomeUnknown(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	slowTasks(t, e, map[string]int{"CreateVm": 2000})
	started := e.WhenSOAP("CreateVM_Task")
	svc := e.Sim.Model().Service
	go func() {
		<-started // once the task is started, nothing about it can be read
		for _, m := range []string{"CreatePropertyCollector", "WaitForUpdatesEx", "RetrievePropertiesEx", "RetrieveProperties"} {
			svc.AddFaultRule(faultOn(m, &types.SystemError{Reason: "injected"}).fault())
		}
	}()
	text := testenv.CallErr(t, e, "create_vm", map[string]any{"name": "unknown-create", "cpu": 1, "memory": 256})
	t.Logf("answer: %s", text)
	id := taskID.FindString(text)
	if id == "" || !strings.Contains(text, "outcome is unknown") || !strings.Contains(text, "get_task") {
		t.Fatalf("answer %q does not name the task, say its outcome is unknown and how to check it", text)
	}
	if strings.Contains(text, "failed:") {
		t.Errorf("answer %q calls the operation failed", text)
	}

	svc.ClearFaultRules()
	st := testenv.CallOK[struct {
		ID     string `json:"task_id"`
		State  string `json:"state"`
		Result struct {
			ID, Path string
		} `json:"result"`
	}](t, e, "get_task", map[string]any{"task_id": id, "wait_seconds": 60})
	vm := mustVM(t, e, "unknown-create")
	if st.ID != id || st.State != "success" || st.Result.ID != vm.Self.Value || st.Result.Path != "/DC0/vm/unknown-create" {
		t.Errorf("get_task = %+v; want %s succeeded with VM %s at /DC0/vm/unknown-create", st, id, vm.Self.Value)
	}
}

// TestLongTaskAnswersRunning: past task_wait_seconds a mutating tool answers,
// not as an error, with the task still running: the text names the task and
// says how to follow it, structuredContent carries task_id and state
// "running". get_task with wait_seconds then waits for the end, sending
// progress notifications, and reports the new VM.
func TestLongTaskAnswersRunning(t *testing.T) {
	progress := newProgressLog()
	e := testenv.New(t, testenv.Options{
		TaskWait:      time.Second,
		ClientOptions: &mcp.ClientOptions{ProgressNotificationHandler: progress.handler},
	})
	slowTasks(t, e, map[string]int{"CloneVm": 4000})
	res := e.Call(t, "clone_vm", map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "long-clone"})
	text := testenv.Text(res)
	t.Logf("answer: %s", text)
	if res.IsError {
		t.Fatalf("clone_vm answered an error past task_wait_seconds: %s", text)
	}
	var running struct {
		TaskID string `json:"task_id"`
		State  string `json:"state"`
	}
	decode(t, res.StructuredContent, &running)
	if !taskID.MatchString(running.TaskID) || running.State != "running" {
		t.Fatalf("structured content %+v; want a task_id and state running", res.StructuredContent)
	}
	if !strings.Contains(text, running.TaskID) || !strings.Contains(text, "still running") || !strings.Contains(text, "get_task") {
		t.Errorf("text %q does not name the task, say it is still running and how to follow it", text)
	}
	if vmNamed(t, e, "long-clone") != nil {
		t.Fatal("the clone exists already: the test's task was not slow enough to be still running")
	}

	params := &mcp.CallToolParams{Name: "get_task", Arguments: map[string]any{"task_id": running.TaskID, "wait_seconds": 60}}
	params.SetProgressToken("follow")
	got, err := e.Client.CallTool(context.Background(), params)
	if err != nil || got.IsError {
		t.Fatalf("get_task: %v %v", err, got)
	}
	var st struct {
		State    string `json:"state"`
		What     string `json:"what"`
		Progress int32  `json:"progress"`
		Target   struct{ ID string }
		Result   struct{ ID, Name, Path string }
		Started  *time.Time `json:"started_at"`
		Ended    *time.Time `json:"completed_at"`
	}
	decode(t, got.StructuredContent, &st)
	vm := mustVM(t, e, "long-clone")
	if st.State != "success" || st.Progress != 100 || st.Result.ID != vm.Self.Value || st.Result.Path != "/DC0/vm/long-clone" ||
		st.Started == nil || st.Ended == nil || !strings.Contains(st.What, "cloning") || st.Target.ID == "" {
		t.Errorf("get_task = %+v; want the clone's task succeeded with VM %s at /DC0/vm/long-clone", st, vm.Self.Value)
	}
	if len(progress.snapshot()) == 0 {
		t.Error("get_task with wait_seconds and a progress token sent no progress notification")
	}
}

// TestGetTaskRefusesUnknownIDs: an id vCenter does not know, or that is no
// task id at all, is a tool error saying what to give instead.
func TestGetTaskRefusesUnknownIDs(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	for _, id := range []string{"task-999999", "../etc", "vm-1 ; x"} {
		if text := testenv.CallErr(t, e, "get_task", map[string]any{"task_id": id}); !strings.Contains(text, "task") {
			t.Errorf("get_task %q: %s", id, text)
		}
	}
}

// TestLongCreateSaysWhatIsLeftToDo: a create with power_on whose task outlasts
// task_wait_seconds answers with the running task and says that the power-on
// is left to the caller; the VM, once made, is left powered off.
func TestLongCreateSaysWhatIsLeftToDo(t *testing.T) {
	e := testenv.New(t, testenv.Options{TaskWait: time.Second})
	slowTasks(t, e, map[string]int{"CreateVm": 3000})
	res := e.Call(t, "create_vm", map[string]any{"name": "long-create", "cpu": 1, "memory": 256, "power_on": true})
	text := testenv.Text(res)
	if res.IsError || !strings.Contains(text, "still running") || !strings.Contains(text, "power_on_vm") {
		t.Fatalf("answer %q; want the running task and that power_on_vm is left to do", text)
	}
	var running struct {
		TaskID string `json:"task_id"`
	}
	decode(t, res.StructuredContent, &running)
	testenv.CallOK[map[string]any](t, e, "get_task", map[string]any{"task_id": running.TaskID, "wait_seconds": 60})
	if s := powerState(t, e, "long-create"); s != "poweredOff" {
		t.Errorf("the new VM is %s, want poweredOff (nobody powered it on)", s)
	}
}

// TestGetTaskReportsOtherTasks: get_task also reports a task this server did
// not start (here, a power-off made through another session).
func TestGetTaskReportsOtherTasks(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	vm := mustVM(t, e, "DC0_C0_RP0_VM0")
	task, err := object.NewVirtualMachine(e.Vim, vm.Self).PowerOff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := testenv.CallOK[struct {
		State  string `json:"state"`
		Here   bool   `json:"started_by_this_server"`
		Target struct{ Type, ID string }
	}](t, e, "get_task", map[string]any{"task_id": task.Reference().Value})
	if st.State != "success" || st.Here || st.Target.Type != "VirtualMachine" || st.Target.ID != vm.Self.Value {
		t.Errorf("get_task = %+v; want a successful task on %s, not started by this server", st, vm.Self.Value)
	}
}

// TestNewVMUnreadable: when create_vm's or clone_vm's task has succeeded but
// the new VM cannot be read back, the answer is not an error (the VM exists;
// an error would invite a retry that finds the name taken): it names the VM
// by id and says what is missing and how to see it.
func TestNewVMUnreadable(t *testing.T) {
	tests := []struct {
		tool, name string
		args       map[string]any
		madeBy     string // the SOAP method of the task
	}{
		{"create_vm", "unread-create", map[string]any{"name": "unread-create", "cpu": 1, "memory": 256}, "CreateVM_Task"},
		{"clone_vm", "unread-clone", map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "unread-clone"}, "CloneVM_Task"},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Options{})
			svc := e.Sim.Model().Service
			started := e.WhenSOAP(tt.madeBy)
			go func() {
				// Once the task is started, retrievals fail until the call has
				// answered: the read-back is the only one (the task's wait and
				// the mirror's fences use update streams). No MaxCount: the
				// simulator reads a rule's count unlocked for every request.
				<-started
				for _, m := range []string{"RetrievePropertiesEx", "RetrieveProperties"} {
					svc.AddFaultRule(faultOn(m, &types.SystemError{Reason: "injected"}).fault())
				}
			}()
			res := e.Call(t, tt.tool, tt.args)
			svc.ClearFaultRules()
			if res.IsError {
				t.Fatalf("%s answered an error although the VM was made: %s", tt.tool, testenv.Text(res))
			}
			vm := mustVM(t, e, tt.name)
			text := testenv.Text(res)
			for _, want := range []string{`"id":"` + vm.Self.Value + `"`, "reading it back failed", "get_vm " + vm.Self.Value, `"power_state":"unknown"`} {
				if !strings.Contains(text, want) {
					t.Errorf("answer lacks %q: %s", want, text)
				}
			}
		})
	}
}
