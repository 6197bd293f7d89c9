package httpserver

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestShutdownAnswersRunningCalls: SIGTERM (the serve context ending) while a
// long task runs. When the grace period ends, the call still waiting gets an
// answer — the task id, still running on vCenter — before its connection
// closes; the task is left running (not cancelled); after the vSphere
// client's Close, no session of the server is left on vCenter.
func TestShutdownAnswersRunningCalls(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	// Package-wide knob; no other test of this package uses the simulator.
	saved := vsim.TaskDelay.MethodDelay
	vsim.TaskDelay.MethodDelay = map[string]int{"CloneVm": 5000, "LockHandoff": 0}
	t.Cleanup(func() {
		// The clone is still running; it reads the delays until it has run.
		_ = e.Sim.AwaitTasks(context.Background())
		vsim.TaskDelay.MethodDelay = saved
	})

	h := NewHandler(e.Server, Options{})
	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, h, ServeOptions{
			Listen: "127.0.0.1:0", ShutdownWait: 500 * time.Millisecond,
			OnListen: func(a net.Addr) { addr <- a }, OnGraceEnd: e.VS.StopWaiting,
		})
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: "http://" + (<-addr).String() + Endpoint, HTTPClient: &http.Client{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	waiting := e.WhenSOAP("WaitForUpdatesEx")
	answered := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "clone_vm", Arguments: map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "sigterm-clone"}})
		if err != nil {
			t.Errorf("clone_vm during shutdown: no answer: %v", err)
		}
		answered <- res
	}()
	<-waiting
	sigterm()

	res := <-answered
	if res == nil {
		t.FailNow()
	}
	text := testenv.Text(res)
	t.Logf("answer: %s", text)
	var running struct {
		TaskID string `json:"task_id"`
		State  string `json:"state"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &running)
	if res.IsError || running.State != "running" || running.TaskID == "" || !strings.Contains(text, "shutting down") {
		t.Fatalf("answer %q (%s); want the task id, still running, because the server is shutting down", text, b)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}

	var task mo.Task
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), types.ManagedObjectReference{Type: "Task", Value: running.TaskID}, []string{"info"}, &task); err != nil {
		t.Fatal(err)
	}
	if task.Info.State != types.TaskInfoStateRunning || task.Info.Cancelled {
		t.Errorf("task %s is %s (cancelled %v), want still running on vCenter", running.TaskID, task.Info.State, task.Info.Cancelled)
	}

	if err := e.VS.Close(context.Background()); err != nil {
		t.Fatalf("closing the vSphere session: %v", err)
	}
	var sm mo.SessionManager
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), *e.Vim.ServiceContent.SessionManager, []string{"sessionList", "currentSession"}, &sm); err != nil {
		t.Fatal(err)
	}
	for _, s := range sm.SessionList {
		if sm.CurrentSession == nil || s.Key != sm.CurrentSession.Key {
			t.Errorf("a session is left on vCenter after the server's exit: user %s, logged in %s", s.UserName, s.LoginTime)
		}
	}
}
