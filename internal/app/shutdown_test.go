package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestSIGTERMDuringLongTask: the server's context ends (SIGTERM) while a
// clone runs on vCenter. The call still waiting when the grace period ends
// gets an answer — its task id, still running — and Run returns without an
// error; afterwards vCenter holds no session of the server (it logged out,
// and did not log in again).
func TestSIGTERMDuringLongTask(t *testing.T) {
	var mu sync.Mutex
	var wait chan struct{}
	sim, err := simulator.Start(context.Background(), simulator.Options{OnSOAP: func(m string) {
		mu.Lock()
		defer mu.Unlock()
		if m == "WaitForUpdatesEx" && wait != nil {
			close(wait)
			wait = nil
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	// Package-wide knob; this package's tests do not run in parallel.
	saved := vsim.TaskDelay.MethodDelay
	vsim.TaskDelay.MethodDelay = map[string]int{"CloneVm": 4000, "LockHandoff": 0}
	defer func() {
		_ = sim.AwaitTasks(context.Background()) // the clone reads the delays until it has run
		vsim.TaskDelay.MethodDelay = saved
	}()

	cfg := &config.Config{
		VCenterHost: sim.URL.Host, VCenterUser: sim.User, VCenterPassword: sim.Password, CAFile: sim.CAFile,
		Network: config.DefaultNetwork, NetworkDefaulted: true,
		Listen: "127.0.0.1:0", Transport: config.TransportHTTP, TaskWaitSeconds: 0,
	}
	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	addr := make(chan net.Addr, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- Run(ctx, Params{Config: cfg, Version: "test", Logger: slog.New(slog.DiscardHandler),
			OnListen: func(a net.Addr) { addr <- a }, ShutdownWait: 500 * time.Millisecond})
	}()
	var a net.Addr
	select {
	case a = <-addr:
	case err := <-ran:
		t.Fatalf("Run: %v", err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: "http://" + a.String() + httpserver.Endpoint, HTTPClient: &http.Client{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	waiting := make(chan struct{})
	mu.Lock()
	wait = waiting
	mu.Unlock()
	answered := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "clone_vm", Arguments: map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "sigterm"}})
		if err != nil {
			t.Errorf("clone_vm got no answer: %v", err)
		}
		answered <- res
	}()
	<-waiting
	sigterm()

	res := <-answered
	if res == nil {
		t.FailNow()
	}
	b, _ := json.Marshal(res.StructuredContent)
	var running struct {
		TaskID string `json:"task_id"`
		State  string `json:"state"`
	}
	_ = json.Unmarshal(b, &running)
	if res.IsError || running.State != "running" || !strings.HasPrefix(running.TaskID, "task-") {
		t.Errorf("answer %s; want the task id, still running", b)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Run after SIGTERM: %v", err)
	}

	vc, err := sim.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sm mo.SessionManager
	if err := property.DefaultCollector(vc).RetrieveOne(context.Background(), *vc.ServiceContent.SessionManager, []string{"sessionList", "currentSession"}, &sm); err != nil {
		t.Fatal(err)
	}
	for _, s := range sm.SessionList {
		if sm.CurrentSession == nil || s.Key != sm.CurrentSession.Key {
			t.Errorf("a session of the server is left on vCenter: %s since %s", s.UserName, s.LoginTime)
		}
	}
}
