package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// The helpers below read vSphere directly through env.Vim, an independent
// session, so that tests verify side effects without trusting our own tools.

// vmProps are the properties tests check.
var vmProps = []string{
	"name", "parent", "resourcePool", "datastore", "network", "snapshot",
	"runtime.powerState", "runtime.host", "config", "guest.toolsRunningStatus",
}

// allVMs reads every VM directly, with the properties tests check.
func allVMs(t *testing.T, e *testenv.Env) []mo.VirtualMachine {
	t.Helper()
	return e.VMs(t, vmProps...)
}

// inventory is the full VM list, as comparable lines: what a failed call must leave unchanged.
func inventory(t *testing.T, e *testenv.Env) []string {
	t.Helper()
	var out []string
	for _, vm := range allVMs(t, e) {
		line := fmt.Sprintf("%s %s parent=%v pool=%v state=%s", vm.Self.Value, vm.Name, vm.Parent, vm.ResourcePool, vm.Runtime.PowerState)
		if c := vm.Config; c != nil {
			line += fmt.Sprintf(" cpu=%d mem=%d template=%v devices=%d", c.Hardware.NumCPU, c.Hardware.MemoryMB, c.Template, len(c.Hardware.Device))
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// vmNamed returns the one VM with this name, or nil.
func vmNamed(t *testing.T, e *testenv.Env, name string) *mo.VirtualMachine {
	t.Helper()
	var found *mo.VirtualMachine
	for _, vm := range allVMs(t, e) {
		if vm.Name == name {
			if found != nil {
				t.Fatalf("two VMs named %s", name)
			}
			found = &vm
		}
	}
	return found
}

func mustVM(t *testing.T, e *testenv.Env, name string) *mo.VirtualMachine {
	t.Helper()
	vm := vmNamed(t, e, name)
	if vm == nil {
		t.Fatalf("VM %s not found in vSphere", name)
	}
	return vm
}

func powerState(t *testing.T, e *testenv.Env, name string) string {
	t.Helper()
	return string(mustVM(t, e, name).Runtime.PowerState)
}

// nameOf reads one object's name directly.
func nameOf(t *testing.T, e *testenv.Env, ref types.ManagedObjectReference) string {
	t.Helper()
	var me mo.ManagedEntity
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref, []string{"name"}, &me); err != nil {
		t.Fatal(err)
	}
	return me.Name
}

// setToolsRunning makes the simulator report VMware Tools as running in a VM
// (its documented SET.<property> extraConfig hook), so guest operations can be tested.
func setToolsRunning(t *testing.T, e *testenv.Env, name string) {
	t.Helper()
	ctx := context.Background()
	vm := object.NewVirtualMachine(e.Vim, mustVM(t, e, name).Self)
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.toolsRunningStatus", Value: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
	}})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("setting tools running on %s: %v", name, err)
	}
	e.Fresh(t)
}

// setPower puts a VM in a power state directly.
func setPower(t *testing.T, e *testenv.Env, name, state string) {
	t.Helper()
	ctx := context.Background()
	vm := object.NewVirtualMachine(e.Vim, mustVM(t, e, name).Self)
	if powerState(t, e, name) == state {
		return
	}
	var task *object.Task
	var err error
	switch state {
	case "poweredOn":
		task, err = vm.PowerOn(ctx)
	case "poweredOff":
		task, err = vm.PowerOff(ctx)
	case "suspended":
		setPower(t, e, name, "poweredOn")
		task, err = vm.Suspend(ctx)
	}
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("setting %s %s: %v", name, state, err)
	}
	e.Fresh(t)
}

// slowTasks delays simulated tasks by name ("CloneVm", "PowerOn") and
// restores the package-wide delays when the test ends. Tests that use it do
// not run in parallel. Lock hand-off is off unless delays say otherwise: the
// simulator then serves reads of the task's object during the delay, and
// internal/simulator can make a cancel hold (the stock simulator still runs a
// cancelled task's operation; vCenter does not).
//
// Before restoring the delays it waits for every task of e's simulator to
// have run (a task sleeping through its delay reads them), so slowed tasks
// cost the test their whole delay even when cancelled.
func slowTasks(t *testing.T, e *testenv.Env, delays map[string]int) {
	t.Helper()
	delays = maps.Clone(delays)
	if _, ok := delays["LockHandoff"]; !ok {
		delays["LockHandoff"] = 0
	}
	saved := vsim.TaskDelay.MethodDelay
	vsim.TaskDelay.MethodDelay = delays
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := e.Sim.AwaitTasks(ctx); err != nil {
			t.Errorf("simulated tasks still running at the end of the test: %v", err)
		}
		vsim.TaskDelay.MethodDelay = saved
	})
}

// logRecords is a slog handler that hands every record to a channel, so a
// test can wait for something the server logs (no sleeping, no polling).
type logRecords chan slog.Record

func testLogger(c logRecords) *slog.Logger { return slog.New(c) }

func (c logRecords) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (c logRecords) Handle(_ context.Context, r slog.Record) error {
	select {
	case c <- r:
	default: // a test that stopped listening must not block the server
	}
	return nil
}
func (c logRecords) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c logRecords) WithGroup(string) slog.Handler      { return c }

// decode turns structured content into T.
func decode(t *testing.T, content any, out any) {
	t.Helper()
	b, err := json.Marshal(content)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		t.Fatalf("decoding structured content: %v", err)
	}
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}
