package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// freshness is how long a change made behind the mirror's back may take to
// show: the product's bound (2 s), not a measure of speed.
const freshness = 2 * time.Second

type fixture struct {
	sim    *simulator.Simulator
	mirror *inventory.Mirror
	vim    *vim25.Client // the mirror's session
	other  *vim25.Client // an independent session, to change the inventory behind its back
}

func start(t *testing.T, opts inventory.Options) *fixture {
	t.Helper()
	return startOn(t, simulator.Options{}, opts)
}

func startOn(t *testing.T, simOpts simulator.Options, opts inventory.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	sim, err := simulator.Start(ctx, simOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f := &fixture{sim: sim}
	if f.vim, err = sim.Client(ctx); err != nil {
		t.Fatal(err)
	}
	if f.other, err = sim.Client(ctx); err != nil {
		t.Fatal(err)
	}
	f.mirror = inventory.New(f.vim, opts)
	f.mirror.Start()
	t.Cleanup(func() { f.mirror.Stop(context.Background()) })
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := f.mirror.WaitFilled(wctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// eventually waits until cond holds in the mirror, at most the freshness bound.
func (f *fixture) eventually(t *testing.T, what string, cond func(v *inventory.View) bool) {
	t.Helper()
	f.within(t, freshness, what, cond)
}

// within waits until cond holds in the mirror, at most bound.
func (f *fixture) within(t *testing.T, bound time.Duration, what string, cond func(v *inventory.View) bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok := false
		f.mirror.Read(func(v *inventory.View) { ok = cond(v) })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within %s", what, bound)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) vm(t *testing.T, name string) *object.VirtualMachine {
	t.Helper()
	vm, err := find.NewFinder(f.other).VirtualMachine(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func named(v *inventory.View, name string) *inventory.VM {
	if vms := v.VMsNamed(name); len(vms) == 1 {
		return vms[0]
	}
	return nil
}

func TestFillMatchesInventory(t *testing.T) {
	f := start(t, inventory.Options{PageSize: 7})
	checkFill(t, f, "/DC0/vm/DC0_H0_VM0", true)
}

// TestStreamMatchesFillElsewhere: on a standalone ESXi host and with
// datacenters and clusters nested in folders, the stream's walk of the tree
// finds exactly what the fill's container view found.
func TestStreamMatchesFillElsewhere(t *testing.T) {
	for _, c := range []struct {
		opts simulator.Options
		vm   string
	}{{simulator.Options{ESX: true}, "/ha-datacenter/vm/ha-host_VM0"}, {simulator.Options{Nested: true}, ""}} {
		checkFill(t, startOn(t, c.opts, inventory.Options{PageSize: 5}), c.vm, false)
	}
}

func checkFill(t *testing.T, f *fixture, vmPath string, vcenter bool) {
	t.Helper()
	var st inventory.Stats
	var vm inventory.VM
	var path string
	f.mirror.Read(func(v *inventory.View) {
		st = v.Stats()
		v.EachVM(func(x *inventory.VM) bool {
			if p := v.Path(x.ID); vm.ID == "" && (vmPath == "" || p == vmPath) {
				vm, path = *x, p
			}
			return true
		})
	})
	if st.VMs < 3 || st.Hosts == 0 || st.Datastores == 0 || st.Networks == 0 || st.Datacenters != 1 || st.Computes == 0 {
		t.Fatalf("incomplete fill: %+v", st)
	}
	if vm.ID == "" || vm.NumCPU == 0 || vm.MemoryMB == 0 || vm.Host == "" || vm.UUID == "" || len(vm.Datastores) == 0 || vm.PowerState == "" ||
		!vm.HasStorageSummary || len(vm.PerDatastore) == 0 || vm.PerDatastore[0].Datastore == "" {
		t.Errorf("VM %s not fully mirrored: %+v", path, vm)
	}
	// A model VM has a NIC (the fixture's template has none: checked only
	// for a VM named by path).
	if vmPath != "" && (len(vm.NICs) == 0 || vm.NICs[0].Key == 0 || vm.NICs[0].Label == "" || vm.NICs[0].MAC == "") {
		t.Errorf("VM %s: NICs %+v, want its network adapter with key, label and MAC", path, vm.NICs)
	}
	// The update stream's first answer (every object, walked from the root
	// folder) reconciles the fill: it must neither add nor drop anything.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := f.mirror.Fence(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, inventory.ErrNotLive) || ctx.Err() != nil {
			t.Fatal(err)
		}
		// The stream broke (govmomi's simulator now and then fails a wait,
		// e.g. a nil filter in WaitForUpdatesEx) and the mirror is
		// recovering by itself: the check below holds after its new fill too.
		time.Sleep(50 * time.Millisecond)
	}
	var after inventory.Stats
	var drs, vlan, opaque bool
	f.mirror.Read(func(v *inventory.View) {
		after = v.Stats()
		for _, c := range v.Computes() {
			drs = drs || c.Cluster && c.DRSEnabled
		}
		for _, n := range v.Networks() {
			vlan = vlan || n.Kind == inventory.NetworkDistributed && n.VLAN != nil
			opaque = opaque || n.Kind == inventory.NetworkOpaque && n.OpaqueType != ""
		}
	})
	if after != st {
		t.Errorf("after the stream's initial state the mirror holds %+v, after the fill %+v", after, st)
	}
	if vcenter && (!drs || !vlan || !opaque) {
		t.Errorf("DRS flag %v, distributed VLAN %v, opaque type %v: some value type was not decoded", drs, vlan, opaque)
	}
}

func TestFenceSeesOwnChange(t *testing.T) {
	f := start(t, inventory.Options{})
	ctx := context.Background()
	vm, err := find.NewFinder(f.vim).VirtualMachine(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	// Let the loop settle into a long wait, so Fence must cut it short.
	time.Sleep(100 * time.Millisecond)
	for i, name := range []string{"fenced-1", "fenced-2", "fenced-3"} {
		task, err := vm.Rename(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = f.mirror.Fence(fctx)
		cancel()
		if err != nil {
			t.Fatalf("fence %d: %v", i, err)
		}
		var got string
		f.mirror.Read(func(v *inventory.View) { got = v.VM(vm.Reference().Value).Name })
		if got != name {
			t.Fatalf("after Fence the mirror has %q, want %q", got, name)
		}
	}
	if n := f.mirror.Recoveries(); n != 0 {
		t.Errorf("fences caused %d stream recoveries; a Fence's own cancel must not break the stream", n)
	}
}

// TestEachFenceCancelsAtOnce: a Fence cancels the long wait in flight at
// once, even right after an earlier Fence cancelled the wait before it (as a
// tool's fence before acting follows the previous tool's fence after its
// task); only cancelling the same wait again waits for RecancelAfter. Here
// waits and RecancelAfter last ten minutes, so a Fence that waited for the
// earlier cancel to age would not return within the test's bound.
func TestEachFenceCancelsAtOnce(t *testing.T) {
	f := start(t, inventory.Options{MaxWait: 10 * time.Minute, RecancelAfter: 10 * time.Minute})
	ctx := context.Background()
	for i := range 3 {
		// Let the loop settle into its next long wait, with nothing to
		// report: a cancel that reached the simulator before the wait it
		// means to end would be lost, and sent again only after ten minutes.
		for deadline := time.Now().Add(30 * time.Second); !f.mirror.LongWaitInFlight(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("before fence %d: the update loop started no long wait within 30 s", i+1)
			}
		}
		time.Sleep(200 * time.Millisecond) // for the wait's request to reach the simulator
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := f.mirror.Fence(fctx)
		cancel()
		if err != nil {
			t.Fatalf("fence %d: %v", i+1, err)
		}
	}
	if n := f.mirror.Recoveries(); n != 0 {
		t.Errorf("fences caused %d stream recoveries", n)
	}
}

func TestTruncatedUpdatesReassembled(t *testing.T) {
	// At most 2 object updates per answer: the four VMs (and their tasks)
	// arrive in parts that the mirror applies together.
	f := start(t, inventory.Options{MaxObjectUpdates: 2})
	ctx := context.Background()
	var vms []*object.VirtualMachine
	for _, name := range []string{"DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"} {
		vms = append(vms, f.vm(t, name))
	}
	for i, vm := range vms {
		task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 7, Name: fmt.Sprintf("batch-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Announced together, the four changes form one update set of four.
	for _, vm := range vms {
		f.sim.PublishVMConfig(vm.Reference())
	}
	// Not the freshness bound: the four reconfigurations leave the simulator
	// dozens of updates to work through, and for each one it collects the
	// whole inventory again, VMs' device lists included (about a second under
	// the race detector alone, more beside other tests); vCenter sends only
	// the changes. What is checked here is the re-assembly.
	f.within(t, 3*freshness, "four reconfigured VMs", func(v *inventory.View) bool {
		n := 0
		v.EachVM(func(vm *inventory.VM) bool {
			if vm.NumCPU == 7 && strings.HasPrefix(vm.Name, "batch-") {
				n++
			}
			return true
		})
		return n == 4
	})
	if f.mirror.TruncatedParts() == 0 {
		t.Error("no truncated update set was received; the test did not exercise re-assembly")
	}
}

func TestRecoversAfterWaitFaults(t *testing.T) {
	f := start(t, inventory.Options{MinBackoff: 10 * time.Millisecond, MaxWait: time.Second})
	svc := f.sim.Model().Service
	vm := f.vm(t, "DC0_H0_VM1")
	for i, fault := range []types.BaseMethodFault{
		&types.RequestCanceled{}, &types.InvalidCollectorVersion{}, &types.ManagedObjectNotFound{}, &types.SystemError{Reason: "connection reset"},
	} {
		t.Run(fmt.Sprintf("%T", fault), func(t *testing.T) {
			before := f.mirror.Recoveries()
			f.sim.FaultOnce(&vsim.FaultInjectionRule{
				MethodName: "WaitForUpdatesEx", ObjectType: "*", ObjectName: "*",
				Probability: 1, FaultType: vsim.FaultTypeCustom, Fault: fault,
			})
			defer svc.ClearFaultRules()
			name := fmt.Sprintf("after-fault-%d", i)
			// No task.Wait: it would go through WaitForUpdatesEx and take the fault.
			if _, err := vm.Rename(context.Background(), name); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for f.mirror.Recoveries() == before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if f.mirror.Recoveries() == before {
				t.Fatal("the injected fault did not reach the stream")
			}
			// A recovery re-reads the whole inventory: not the steady-state bound.
			f.within(t, 10*time.Second, "rename after recovery", func(v *inventory.View) bool { return named(v, name) != nil })
		})
	}
}
