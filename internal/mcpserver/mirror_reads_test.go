package mcpserver_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// Reads served by the inventory mirror: exact references, filters that name
// real objects, paging under churn, their SOAP cost, and readers beside writers.

func TestExactReferences(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	vm0 := object.NewVirtualMachine(e.Vim, mustVM(t, e, "DC0_H0_VM0").Self)
	vm1 := object.NewVirtualMachine(e.Vim, mustVM(t, e, "DC0_H0_VM1").Self)
	rename(t, e, vm0, "twin")
	rename(t, e, vm1, "twin ")
	e.Fresh(t)

	for _, ref := range []string{"twin ", "/DC0/vm/twin ", vm1.Reference().Value} {
		got := testenv.CallOK[vsphere.VMDetail](t, e, "get_vm", map[string]any{"name": ref})
		if got.ID != vm1.Reference().Value {
			t.Errorf("get_vm %q found %s (%q), want %s", ref, got.ID, got.Name, vm1.Reference().Value)
		}
	}
	if got := testenv.CallOK[vsphere.VMDetail](t, e, "get_vm", map[string]any{"name": "twin"}); got.ID != vm0.Reference().Value {
		t.Errorf("get_vm \"twin\" found %s", got.ID)
	}
	for _, ref := range []string{" DC0_C0_RP0_VM0", "dc0_c0_rp0_vm0", "DC0_C0_RP0_VM0 ", "/DC0/vm/DC0_C0_RP0_VM0/"} {
		msg := testenv.CallErr(t, e, "delete_vm", map[string]any{"name": ref, "force": true})
		if !strings.Contains(msg, "not found") || !strings.Contains(msg, `"DC0_C0_RP0_VM0"`) {
			t.Errorf("delete_vm %q: %s; want a refusal naming the similar VM", ref, msg)
		}
	}
	if vmNamed(t, e, "DC0_C0_RP0_VM0") == nil {
		t.Fatal("a refused reference deleted DC0_C0_RP0_VM0")
	}

	testenv.CallOK[deleteOut](t, e, "delete_vm", map[string]any{"name": "twin ", "force": true})
	if vmNamed(t, e, "twin ") != nil || vmNamed(t, e, "twin") == nil {
		t.Errorf("delete_vm \"twin \" did not delete exactly \"twin \": inventory %q", inventory(t, e))
	}
}

// TestListFiltersNameRealObjects (issue 7 point 9): a filter naming an object
// that does not exist is an error listing similar names, not total 0; the
// datastore and network filters select what vSphere says.
func TestListFiltersNameRealObjects(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	for _, c := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"host": "DC0_H9"}, []string{`no host is named "DC0_H9"`, `"DC0_H0"`}},
		{map[string]any{"cluster": "DC0_C9"}, []string{`no cluster is named "DC0_C9"`, `"DC0_C0"`}},
		{map[string]any{"folder": "../"}, []string{`no folder has the inventory path "..`, `"/DC0/vm"`}},
		{map[string]any{"folder": "/DC0/vm/nope"}, []string{`"/DC0/vm/nope"`}},
		{map[string]any{"datastore": "LocalDS_9"}, []string{`no datastore is named "LocalDS_9"`, `"LocalDS_0"`}},
		{map[string]any{"network": "Prod"}, []string{`no network is named "Prod"`, `"VM Network"`}},
		{map[string]any{"sort": "size"}, []string{"sort"}},
	} {
		msg := testenv.CallErr(t, e, "list_vms", c.args)
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("list_vms %v: %q does not say %q", c.args, msg, w)
			}
		}
	}

	// Filters by datastore and network against what vSphere reports.
	vms := e.VMs(t, "name", "datastore", "network", "config.template")
	names := map[string]string{} // datastore and network names by id, read directly
	var stores []mo.Datastore
	var nets []mo.Network
	retrieveAll(t, e, "Datastore", []string{"name"}, &stores)
	retrieveAll(t, e, "Network", []string{"name"}, &nets)
	for _, d := range stores {
		names[d.Self.Value] = d.Name
	}
	for _, n := range nets {
		names[n.Self.Value] = n.Name
	}
	for _, c := range []struct{ arg, name, id string }{
		{"datastore", "LocalDS_0", ""}, {"network", "DC0_DVPG0", ""}, {"network", "VM Network", ""},
	} {
		list := testenv.CallOK[vsphere.VMList](t, e, "list_vms", map[string]any{c.arg: c.name, "limit": 1000})
		var want []string
		for _, vm := range vms {
			refs := vm.Datastore
			if c.arg == "network" {
				refs = vm.Network
			}
			for _, r := range refs {
				if (vm.Config == nil || !vm.Config.Template) && names[r.Value] == c.name {
					want = append(want, vm.Name)
					break
				}
			}
		}
		var got []string
		for _, v := range list.VMs {
			got = append(got, v.Name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) || list.Total != len(want) {
			t.Errorf("list_vms %s=%s: %v (total %d), want %v", c.arg, c.name, got, list.Total, want)
		}
	}
}

// TestPagingUnderChurn (issue 8 point 5): while VMs are created, destroyed
// and renamed between pages, a walk returns every VM that existed for the
// whole walk exactly once, in each sort order.
func TestPagingUnderChurn(t *testing.T) {
	e := testenv.New(t, testenv.Options{VMsPerPool: 6})
	ctx := context.Background()
	for _, order := range []string{"name", "cpu", "memory"} {
		t.Run(order, func(t *testing.T) {
			start := listAll(t, e, nil)
			present := map[string]bool{} // ids present at the start
			for _, v := range start.VMs {
				present[v.ID] = true
			}
			seen := map[string]int{}
			cursor, page := "", 0
			destroyed := map[string]bool{}
			for {
				args := map[string]any{"limit": 4, "include_templates": true, "sort": order}
				if cursor != "" {
					args["cursor"] = cursor
				}
				list := testenv.CallOK[vsphere.VMList](t, e, "list_vms", args)
				for _, v := range list.VMs {
					seen[v.ID]++
				}
				if !list.Truncated {
					break
				}
				cursor = list.NextCursor
				page++
				churn(t, e, ctx, list, start, seen, destroyed, fmt.Sprintf("%s-%d", order, page))
			}
			for id := range present {
				if destroyed[id] {
					continue
				}
				if seen[id] != 1 {
					t.Errorf("VM %s, present for the whole walk, returned %d times", id, seen[id])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("VM %s returned %d times", id, n)
				}
			}
		})
	}
}

// churn changes the inventory between two pages through the server's own
// tools and behind its back: a VM not yet returned is renamed to sort first,
// one already returned to sort last, one not yet returned is destroyed, and a
// VM is created.
func churn(t *testing.T, e *testenv.Env, ctx context.Context, page vsphere.VMList, start vsphere.VMList, seen map[string]int, destroyed map[string]bool, tag string) {
	t.Helper()
	var unseen []vsphere.VMSummary
	for _, v := range start.VMs {
		if seen[v.ID] == 0 && !destroyed[v.ID] && !v.Template {
			unseen = append(unseen, v)
		}
	}
	if len(unseen) > 0 {
		vm := object.NewVirtualMachine(e.Vim, types.ManagedObjectReference{Type: "VirtualMachine", Value: unseen[0].ID})
		rename(t, e, vm, "000-first-"+tag)
		task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 64, MemoryMB: 65536})
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Sim.PublishVMConfig(vm.Reference())
	}
	if len(page.VMs) > 0 && !page.VMs[0].Template {
		last := page.VMs[0]
		vm := object.NewVirtualMachine(e.Vim, types.ManagedObjectReference{Type: "VirtualMachine", Value: last.ID})
		rename(t, e, vm, "zzz-last-"+tag)
		task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 1, MemoryMB: 4})
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Sim.PublishVMConfig(vm.Reference())
	}
	if len(unseen) > 1 {
		victim := unseen[len(unseen)-1]
		testenv.CallOK[deleteOut](t, e, "delete_vm", map[string]any{"name": victim.ID, "force": true})
		destroyed[victim.ID] = true
	}
	testenv.CallOK[map[string]any](t, e, "create_vm", map[string]any{"name": "new-" + tag, "cpu": 2, "memory": 256})
	e.Fresh(t)
}

// TestReadsCostNoSOAP: at steady state a list or a lookup makes no request to
// vCenter, and get_vm one (the VM's devices and snapshots). The mirror's own
// update stream (WaitForUpdatesEx) runs in the background and is not counted.
func TestReadsCostNoSOAP(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Fresh(t)
	for _, c := range []struct {
		tool string
		args map[string]any
		want int
	}{
		{"list_vms", map[string]any{}, 0},
		{"list_vms", map[string]any{"host": "DC0_H0", "sort": "memory", "limit": 2}, 0},
		{"list_hosts", map[string]any{}, 0},
		{"list_datastores", map[string]any{}, 0},
		{"list_networks", map[string]any{}, 0},
		{"get_vm", map[string]any{"name": "DC0_H0_VM0"}, 1},
		{"get_vm", map[string]any{"name": "/DC0/vm/DC0_H0_VM1"}, 1},
	} {
		e.ResetSOAP()
		testenv.CallOK[map[string]any](t, e, c.tool, c.args)
		_, byMethod := e.SOAP()
		delete(byMethod, "WaitForUpdatesEx")
		n := 0
		for _, k := range byMethod {
			n += k
		}
		if n != c.want {
			t.Errorf("%s %v made %d SOAP requests %v, want %d", c.tool, c.args, n, byMethod, c.want)
		}
	}
}

// TestConcurrentReadersAndWriters: many clients reading while others change
// power states, through the tools (run with -race).
func TestConcurrentReadersAndWriters(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	stop := make(chan struct{})
	for i := range 4 {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprint("reader", i), Version: "test"}, nil).Connect(ctx, connectTransport(t, e), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, call := range []mcp.CallToolParams{
					{Name: "list_vms", Arguments: map[string]any{"sort": "cpu"}},
					{Name: "get_vm", Arguments: map[string]any{"name": "DC0_H0_VM0"}},
					{Name: "list_hosts", Arguments: map[string]any{}},
				} {
					res, err := cs.CallTool(ctx, &call)
					if err != nil || res.IsError {
						errs <- fmt.Sprintf("%s: %v %s", call.Name, err, testenv.Text(res))
						return
					}
				}
			}
		}()
	}
	for i := range 3 {
		for _, tool := range []string{"power_off_vm", "power_on_vm"} {
			res := e.Call(t, tool, map[string]any{"name": "DC0_H0_VM0"})
			if res.IsError {
				t.Errorf("%s (round %d): %s", tool, i, testenv.Text(res))
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
