package mcpserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// freshness is the product's bound for a change made behind the server's back
// to show in its answers at steady state. Waiting up to it is a freshness
// check, not a measure of speed.
const freshness = 2 * time.Second

// within calls check until it reports true or the freshness bound passes.
func within(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(freshness)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not visible through the tools within %s", what, freshness)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listAll(t *testing.T, e *testenv.Env, args map[string]any) vsphere.VMList {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	args["limit"] = vsphere.MaxListLimit
	args["include_templates"] = true
	return testenv.CallOK[vsphere.VMList](t, e, "list_vms", args)
}

func findListed(list vsphere.VMList, name string) *vsphere.VMSummary {
	for i := range list.VMs {
		if list.VMs[i].Name == name {
			return &list.VMs[i]
		}
	}
	return nil
}

func rename(t *testing.T, e *testenv.Env, vm *object.VirtualMachine, name string) {
	t.Helper()
	task, err := vm.Rename(context.Background(), name)
	if err == nil {
		err = task.Wait(context.Background())
	}
	if err != nil {
		t.Fatalf("renaming %s to %q: %v", vm.Reference().Value, name, err)
	}
}

// TestChangesBehindTheServersBack: changes made directly in vSphere (another
// vCenter user, the vSphere Client) show through the tools within the bound.
func TestChangesBehindTheServersBack(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	finder := find.NewFinder(e.Vim)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vmByName := func(name string) *object.VirtualMachine {
		vm, err := finder.VirtualMachine(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return vm
	}
	wait := func(task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	listed := func(name string) *vsphere.VMSummary { return findListed(listAll(t, e, nil), name) }

	cases := []struct {
		name    string
		change  func()
		visible func() bool
	}{
		{"create", func() {
			pool, err := finder.DefaultResourcePool(ctx)
			if err != nil {
				pools, _ := finder.ResourcePoolList(ctx, "*")
				pool = pools[0]
			}
			ds, err := finder.DatastoreList(ctx, "*")
			if err != nil {
				t.Fatal(err)
			}
			spec := types.VirtualMachineConfigSpec{Name: "made-elsewhere", GuestId: "otherGuest64", NumCPUs: 1, MemoryMB: 128,
				Files: &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", ds[0].Name())}}
			wait(folders.VmFolder.CreateVM(ctx, spec, pool, nil))
		}, func() bool { return listed("made-elsewhere") != nil }},
		{"rename", func() { rename(t, e, vmByName("made-elsewhere"), "renamed-elsewhere") },
			func() bool { return listed("renamed-elsewhere") != nil && listed("made-elsewhere") == nil }},
		{"move to another folder", func() {
			f, err := folders.VmFolder.CreateFolder(ctx, "moved-here")
			if err != nil {
				t.Fatal(err)
			}
			vm := vmByName("renamed-elsewhere")
			wait(f.MoveInto(ctx, []types.ManagedObjectReference{vm.Reference()}))
			e.Sim.Publish(vm.Reference(), "parent") // the simulator does not announce it; vCenter does
		}, func() bool {
			v := listed("renamed-elsewhere")
			return v != nil && v.Path == "/DC0/vm/moved-here/renamed-elsewhere"
		}},
		{"power on", func() { wait(vmByName("renamed-elsewhere").PowerOn(ctx)) },
			func() bool { v := listed("renamed-elsewhere"); return v != nil && v.PowerState == "poweredOn" }},
		{"power off", func() { wait(vmByName("renamed-elsewhere").PowerOff(ctx)) },
			func() bool { v := listed("renamed-elsewhere"); return v != nil && v.PowerState == "poweredOff" }},
		{"reconfigure CPU and memory", func() {
			vm := vmByName("renamed-elsewhere")
			wait(vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 3, MemoryMB: 768}))
			e.Sim.PublishVMConfig(vm.Reference()) // the simulator does not announce it; vCenter does
		}, func() bool { v := listed("renamed-elsewhere"); return v != nil && v.CPUs == 3 && v.MemoryMB == 768 }},
		{"destroy", func() { wait(vmByName("renamed-elsewhere").Destroy(ctx)) },
			func() bool { return listed("renamed-elsewhere") == nil }},
		{"host into maintenance", func() {
			h, err := finder.HostSystem(ctx, "DC0_H0")
			if err != nil {
				t.Fatal(err)
			}
			wait(h.EnterMaintenanceMode(ctx, 0, false, nil))
			e.Sim.Publish(h.Reference(), "runtime.inMaintenanceMode") // the simulator does not announce it; vCenter does
		}, func() bool {
			hosts := testenv.CallOK[vsphere.HostList](t, e, "list_hosts", map[string]any{"name": "DC0_H0"})
			return len(hosts.Hosts) == 1 && hosts.Hosts[0].MaintenanceMode
		}},
		{"datastore added", func() {
			h, err := finder.HostSystem(ctx, "DC0_C0_H0")
			if err != nil {
				t.Fatal(err)
			}
			dss, err := h.ConfigManager().DatastoreSystem(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dss.CreateLocalDatastore(ctx, "added-elsewhere", t.TempDir()); err != nil {
				t.Fatal(err)
			}
		}, func() bool {
			list := testenv.CallOK[vsphere.DatastoreList](t, e, "list_datastores", map[string]any{"name": "added-elsewhere"})
			return len(list.Datastores) == 1
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.change()
			within(t, c.name, c.visible)
		})
	}
}

// TestOwnMutationsVisibleAtOnce: when a tool answers, its effect is already in
// what every client reads (read-your-writes): a second client sees it with
// no wait.
func TestOwnMutationsVisibleAtOnce(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	other, err := mcp.NewClient(&mcp.Implementation{Name: "other", Version: "test"}, nil).Connect(context.Background(), connectTransport(t, e), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	read := func(args map[string]any) vsphere.VMList {
		t.Helper()
		res, err := other.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_vms", Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("list_vms from the other client: %v %s", err, testenv.Text(res))
		}
		var out vsphere.VMList
		decode(t, res.StructuredContent, &out)
		return out
	}
	all := map[string]any{"limit": 1000}

	testenv.CallOK[map[string]any](t, e, "create_vm", map[string]any{"name": "ryw-1", "cpu": 1, "memory": 128})
	if findListed(read(all), "ryw-1") == nil {
		t.Fatal("a VM create_vm made is not listed to another client right after the answer")
	}
	testenv.CallOK[map[string]any](t, e, "power_on_vm", map[string]any{"name": "ryw-1"})
	if v := findListed(read(all), "ryw-1"); v == nil || v.PowerState != "poweredOn" {
		t.Fatalf("after power_on_vm another client lists %+v", v)
	}
	testenv.CallOK[map[string]any](t, e, "delete_vm", map[string]any{"name": "ryw-1", "force": true})
	if v := findListed(read(all), "ryw-1"); v != nil {
		t.Fatalf("after delete_vm another client still lists %+v", v)
	}
}

// connectTransport connects one more in-memory transport to the fixture's server.
func connectTransport(t *testing.T, e *testenv.Env) mcp.Transport {
	t.Helper()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := e.Server.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	return ct
}

// TestExactReferences (issue 7 point 1): nothing is trimmed or case-folded.
// With VMs "twin" and "twin " (renamed directly in vSphere), deleting "twin "
// deletes that one only; " DC0_C0_RP0_VM0" matches nothing and is refused
// with the similar name; names with surrounding spaces are addressable by
// exact name and path.
