package vsphere

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// startExternalTask creates a task through vCenter's TaskManager (as an
// extension would) that stays running until the test sets its state: a slow
// task without the simulator's package-wide task delays.
func startExternalTask(t *testing.T, c *Client) *object.Task {
	t.Helper()
	ctx := context.Background()
	sc := c.vim.ServiceContent
	if _, err := methods.RegisterExtension(ctx, c.vim, &types.RegisterExtension{This: *sc.ExtensionManager, Extension: types.Extension{
		Key: "com.example.test", Version: "1", LastHeartbeatTime: time.Now(),
		Description: &types.Description{Label: "test", Summary: "test"},
		TaskList:    []types.ExtensionTaskTypeInfo{{TaskID: "com.example.test.slow"}},
	}}); err != nil {
		t.Fatalf("registering the test extension: %v", err)
	}
	res, err := methods.CreateTask(ctx, c.vim, &types.CreateTask{
		This: *sc.TaskManager, Obj: sc.RootFolder, TaskTypeId: "com.example.test.slow", InitiatedBy: "test", Cancelable: true,
	})
	if err != nil {
		t.Fatalf("creating a task: %v", err)
	}
	task := object.NewTask(c.vim, res.Returnval.Task)
	for { // the simulator registers a created task asynchronously
		if err := task.SetState(ctx, types.TaskInfoStateRunning, nil, nil); err == nil {
			return task
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProgressHeartbeat: while a task reports nothing new, the wait repeats
// its position in progress notifications that still increase, so a client
// that resets its timeout on progress keeps waiting; the wait still ends
// with the task.
func TestProgressHeartbeat(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	c := connect(t, sim, -1)
	c.tasks.beat = 20 * time.Millisecond
	task := startExternalTask(t, c)

	var mu sync.Mutex
	var got []float64
	beats := make(chan struct{}, 100)
	tr := newTracker(func(pct float64, _ string) {
		mu.Lock()
		got = append(got, pct)
		mu.Unlock()
		beats <- struct{}{}
	}, 1)
	done := make(chan error, 1)
	go func() {
		_, err := c.runTask(context.Background(), task, "testing", tr)
		done <- err
	}()
	for range 3 {
		<-beats
	}
	if err := task.SetState(context.Background(), types.TaskInfoStateSuccess, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("runTask: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("progress does not increase: %v", got)
		}
	}
	if last := got[len(got)-1]; last != 100 {
		t.Errorf("last progress %v, want 100 at the end", last)
	}
}
