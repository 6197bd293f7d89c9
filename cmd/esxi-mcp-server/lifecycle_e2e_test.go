package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// stdioAgainst runs the binary over stdio with a config file pointing at sim.
func stdioAgainst(t *testing.T, sim *simulator.Simulator) *mcp.ClientSession {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	writeConfig(t, cfg, map[string]any{
		"vcenter_host": sim.URL.Host, "vcenter_user": sim.User, "vcenter_password": sim.Password, "ca_file": sim.CAFile,
	})
	var stderr strings.Builder
	cs := connectStdio(t, exec.Command(bin, "-c", cfg, "--transport", "stdio"), &stderr)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) map[string]any {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError {
		t.Fatalf("%s(%v): tool error: %v", tool, args, res.Content[0].(*mcp.TextContent).Text)
	}
	out, _ := res.StructuredContent.(map[string]any)
	return out
}

// vmState reads a VM directly from vSphere (nil when it does not exist).
func vmState(t *testing.T, c *vim25.Client, name string) *mo.VirtualMachine {
	t.Helper()
	ctx := context.Background()
	vm, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/"+name)
	if err != nil {
		if _, ok := err.(*find.NotFoundError); ok {
			return nil
		}
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"name", "runtime.powerState", "config.hardware", "config.template"}, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func wantPower(t *testing.T, c *vim25.Client, name string, want types.VirtualMachinePowerState) {
	t.Helper()
	if vm := vmState(t, c, name); vm == nil || vm.Runtime.PowerState != want {
		t.Fatalf("%s in vSphere: %+v, want %s", name, vm, want)
	}
}

// TestLifecycleThroughBinary: through the built binary and the SDK client, a
// VM is created, inspected, cloned, powered on, guest-shut-down, restarted,
// suspended, powered off and deleted, each step verified in vSphere directly.
func TestLifecycleThroughBinary(t *testing.T) {
	sim := startSimulator(t)
	cs := stdioAgainst(t, sim)
	vc, err := sim.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const name, clone = "e2e-web-01", "e2e-web-02"

	call(t, cs, "create_vm", map[string]any{"name": name, "cpu": 2, "memory": 1024, "disk_gb": 2, "annotation": "e2e"})
	vm := vmState(t, vc, name)
	if vm == nil || vm.Config.Hardware.NumCPU != 2 || vm.Config.Hardware.MemoryMB != 1024 {
		t.Fatalf("created VM in vSphere: %+v", vm)
	}

	got := call(t, cs, "get_vm", map[string]any{"name": name})
	if b, _ := json.Marshal(got); !strings.Contains(string(b), name) {
		t.Errorf("get_vm does not describe %s: %s", name, b)
	}

	call(t, cs, "clone_vm", map[string]any{"template_name": name, "new_name": clone, "memory": 2048})
	if c := vmState(t, vc, clone); c == nil || c.Config.Hardware.MemoryMB != 2048 {
		t.Fatalf("clone in vSphere: %+v", c)
	}

	call(t, cs, "power_on_vm", map[string]any{"name": name})
	wantPower(t, vc, name, types.VirtualMachinePowerStatePoweredOn)

	setToolsRunning(t, vc, name)
	call(t, cs, "power_off_vm", map[string]any{"name": name, "mode": "guest", "timeout_seconds": 60})
	wantPower(t, vc, name, types.VirtualMachinePowerStatePoweredOff)

	call(t, cs, "power_on_vm", map[string]any{"name": name})
	booted := bootTime(t, vc, name)
	restarted := call(t, cs, "restart_vm", map[string]any{"name": name, "mode": "hard"})
	wantPower(t, vc, name, types.VirtualMachinePowerStatePoweredOn)
	wantReset(t, vc, name, booted, restarted)

	call(t, cs, "suspend_vm", map[string]any{"name": name})
	wantPower(t, vc, name, types.VirtualMachinePowerStateSuspended)

	call(t, cs, "power_off_vm", map[string]any{"name": name})
	wantPower(t, vc, name, types.VirtualMachinePowerStatePoweredOff)

	for _, n := range []string{name, clone} {
		call(t, cs, "delete_vm", map[string]any{"name": n})
		if vmState(t, vc, n) != nil {
			t.Errorf("%s still exists in vSphere after delete_vm", n)
		}
	}
}

// bootTime reads, directly from vSphere, when a VM last powered on.
func bootTime(t *testing.T, c *vim25.Client, name string) time.Time {
	t.Helper()
	ctx := context.Background()
	vm, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/"+name)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"summary.runtime.bootTime"}, &m); err != nil {
		t.Fatal(err)
	}
	if m.Summary.Runtime.BootTime == nil {
		t.Fatalf("%s in vSphere has no boot time", name)
	}
	return *m.Summary.Runtime.BootTime
}

// wantReset checks, in vSphere, that restart_vm mode hard really reset the VM:
// the task its result names is a successful reset of that VM, listed among
// the VM's recent tasks, and the VM booted again after booted.
func wantReset(t *testing.T, c *vim25.Client, name string, booted time.Time, out map[string]any) {
	t.Helper()
	if out["operation"] != "reset" || out["changed"] != true || out["power_state"] != "poweredOn" {
		t.Errorf("restart_vm result: %v, want operation reset, changed, poweredOn", out)
	}
	id, _ := out["task"].(string)
	if id == "" {
		t.Fatalf("restart_vm result names no vSphere task: %v", out)
	}
	ctx := context.Background()
	vm, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/"+name)
	if err != nil {
		t.Fatal(err)
	}
	pc := property.DefaultCollector(c)
	taskRef := types.ManagedObjectReference{Type: "Task", Value: id}
	var task mo.Task
	if err := pc.RetrieveOne(ctx, taskRef, []string{"info"}, &task); err != nil {
		t.Fatalf("reading task %s: %v", id, err)
	}
	if info := task.Info; info.DescriptionId != "VirtualMachine.reset" || info.Entity == nil || *info.Entity != vm.Reference() ||
		info.State != types.TaskInfoStateSuccess {
		t.Errorf("task %s in vSphere: %s on %v, state %s; want a successful VirtualMachine.reset of %s",
			id, info.DescriptionId, info.Entity, info.State, vm.Reference().Value)
	}
	var m mo.VirtualMachine
	if err := pc.RetrieveOne(ctx, vm.Reference(), []string{"recentTask", "summary.runtime.bootTime"}, &m); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.RecentTask, taskRef) {
		t.Errorf("task %s is not among the recent tasks of %s: %v", id, name, m.RecentTask)
	}
	if b := m.Summary.Runtime.BootTime; b == nil || !b.After(booted) {
		t.Errorf("%s boot time after the reset = %v, want later than %v", name, b, booted)
	}
}

func setToolsRunning(t *testing.T, c *vim25.Client, name string) {
	t.Helper()
	ctx := context.Background()
	vm, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/"+name)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's documented SET.<property> hook: report Tools as running.
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.toolsRunningStatus", Value: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
	}})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestStatsThroughBinary: vmstats:// and get_vm_stats (with and without a
// window) through the built binary, on the vCenter and the ESXi models.
func TestStatsThroughBinary(t *testing.T) {
	for _, esx := range []bool{false, true} {
		sim, err := simulator.Start(context.Background(), simulator.Options{ESX: esx})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		cs := stdioAgainst(t, sim)
		vc, err := sim.Client(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		on := poweredOnVM(t, vc)

		res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "vmstats://" + url.PathEscape(on)})
		if err != nil {
			t.Fatalf("esx=%v: reading vmstats://%s: %v", esx, on, err)
		}
		var fromResource map[string]any
		if err := json.Unmarshal([]byte(res.Contents[0].Text), &fromResource); err != nil {
			t.Fatalf("vmstats is not JSON: %v", err)
		}
		latest := call(t, cs, "get_vm_stats", map[string]any{"name": on})
		window := call(t, cs, "get_vm_stats", map[string]any{"name": on, "window_minutes": 30})
		for label, s := range map[string]map[string]any{"resource": fromResource, "tool": latest, "window": window} {
			if s["live"] != true || s["cpu"] == nil || s["memory"] == nil || s["network"] == nil || s["storage"] == nil {
				t.Errorf("esx=%v %s: incomplete stats: %v", esx, label, s)
			}
		}
		if window["window"] == nil {
			t.Errorf("esx=%v: no window section with window_minutes: %v", esx, window)
		}
	}
}

func poweredOnVM(t *testing.T, c *vim25.Client) string {
	t.Helper()
	ctx := context.Background()
	vms, err := find.NewFinder(c).VirtualMachineList(ctx, "/*/vm/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		if st, err := vm.PowerState(ctx); err == nil && st == types.VirtualMachinePowerStatePoweredOn {
			return vm.Name()
		}
	}
	t.Fatal("no powered-on VM in the simulator")
	return ""
}
