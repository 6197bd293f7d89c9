package mcpserver_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// cancelPhase is a moment at which a client cancels a create or clone.
type cancelPhase struct {
	name string
	// prepare slows the simulator so that the moment lasts, and returns when
	// to cancel.
	prepare func(t *testing.T, e *testenv.Env, progress *progressLog, c cancelCase, token bool) <-chan struct{}
}

var cancelPhases = []cancelPhase{
	{"before the start returns", func(t *testing.T, e *testenv.Env, _ *progressLog, c cancelCase, _ bool) <-chan struct{} {
		// The request that starts the task is slow; the client gives up meanwhile.
		e.Sim.DelayMethod(c.start, 1500*time.Millisecond)
		return e.WhenSOAP(c.start)
	}},
	{"after the start, before any progress", func(t *testing.T, e *testenv.Env, _ *progressLog, c cancelCase, _ bool) <-chan struct{} {
		// The task runs; the wait for it has not begun when the cancel arrives.
		slowTasks(t, e, map[string]int{c.task: 3000})
		e.Sim.DelayMethod("CreatePropertyCollector", time.Second)
		return e.WhenSOAP("CreatePropertyCollector")
	}},
	{"during progress", func(t *testing.T, e *testenv.Env, progress *progressLog, c cancelCase, token bool) <-chan struct{} {
		slowTasks(t, e, map[string]int{c.task: 3000})
		if !token {
			return e.WhenSOAP("WaitForUpdatesEx")
		}
		at := make(chan struct{})
		go func() {
			progress.await(t, "naming the vSphere task", func(n *mcp.ProgressNotificationParams) bool { return taskID.MatchString(n.Message) })
			close(at)
		}()
		return at
	}},
	{"after completion, before the answer", func(t *testing.T, e *testenv.Env, _ *progressLog, c cancelCase, _ bool) <-chan struct{} {
		// The task has succeeded on vCenter; the server is still tidying up its wait.
		e.Sim.DelayMethod("DestroyPropertyFilter", 1500*time.Millisecond)
		return e.WhenSOAP("DestroyPropertyFilter")
	}},
}

// TestCancelAtEveryPhase: whenever the client cancels a create or clone —
// while the request that starts the task is in flight, after it but before
// any progress, during progress, or after the task completed but before the
// answer — with or without a progress token, the server answers (its handler
// returns: no goroutine is left waiting), and afterwards vSphere has no such
// VM, the datastore holds no files of it, and the name is free.
func TestCancelAtEveryPhase(t *testing.T) {
	for _, phase := range cancelPhases {
		for _, c := range cancelCases("phase") {
			for _, token := range []bool{true, false} {
				name := phase.name + "/" + c.tool + "/without token"
				if token {
					name = phase.name + "/" + c.tool + "/with token"
				}
				t.Run(name, func(t *testing.T) {
					progress := newProgressLog()
					logs := make(logRecords, 1000)
					e := testenv.New(t, testenv.Options{
						ClientOptions: &mcp.ClientOptions{ProgressNotificationHandler: progress.handler},
						Logger:        testLogger(logs),
					})
					before := inventory(t, e)
					cancelAt := phase.prepare(t, e, progress, c, token)

					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					params := &mcp.CallToolParams{Name: c.tool, Arguments: c.args}
					if token {
						params.SetProgressToken("phase")
					}
					returned := make(chan error, 1)
					go func() {
						_, err := e.Client.CallTool(ctx, params)
						returned <- err
					}()
					select {
					case <-cancelAt:
					case <-time.After(waitLimit):
						t.Fatal("the moment to cancel never came")
					}
					cancel()
					if err := <-returned; err == nil {
						t.Fatal("the cancelled call returned no error to the client")
					}

					answer := awaitToolError(t, logs, c.tool)
					t.Logf("server's answer: %s", answer)
					if !strings.Contains(answer, "cancelled by the client") || !strings.Contains(answer, "nothing") {
						t.Errorf("answer %q does not say the call was cancelled and nothing is left", answer)
					}
					if w := waitingGoroutines(); w != "" {
						t.Errorf("a goroutine still waits on a vSphere task after the answer:\n%s", w)
					}
					if vm := vmNamed(t, e, c.vm); vm != nil {
						t.Errorf("VM %s (%s) is left behind", c.vm, vm.Self.Value)
					}
					if after := inventory(t, e); !slices.Equal(before, after) {
						t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
					}
					for _, dir := range datastoreDirs(t, e) {
						if _, err := os.Stat(filepath.Join(dir, c.vm)); err == nil {
							t.Errorf("files of %s are left on the datastore at %s", c.vm, dir)
						}
					}
				})
			}
		}
	}
}

// awaitToolError returns the error the server logged for a call of tool.
func awaitToolError(t *testing.T, logs logRecords, tool string) string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case r := <-logs:
			if r.Message == "tool returned an error" && attr(r, "tool") == tool {
				return attr(r, "error")
			}
		case <-deadline:
			t.Fatalf("the server never answered the %s call", tool)
		}
	}
}

// waitingGoroutines returns the stacks of goroutines inside the server's task
// wait, if any. The tests that call it do not run in parallel.
func waitingGoroutines() string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	var out []string
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, "vsphere.(*Client).waitOnce") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// datastoreDirs are the local directories behind the simulator's datastores,
// read from vSphere (summary.url).
func datastoreDirs(t *testing.T, e *testenv.Env) []string {
	t.Helper()
	var dss []mo.Datastore
	retrieveAll(t, e, "Datastore", []string{"summary.url"}, &dss)
	var dirs []string
	for _, ds := range dss {
		dirs = append(dirs, strings.TrimPrefix(ds.Summary.Url, "file://"))
	}
	if len(dirs) == 0 {
		t.Fatal("no datastore")
	}
	return dirs
}
