package mcpserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// The day-2 tests read vSphere directly through env.Vim, never through the
// tools under test.

// day2Props are what a day-2 operation may change.
var day2Props = []string{
	"name", "parent", "resourcePool", "datastore", "snapshot", "runtime.powerState", "runtime.host", "config",
}

// fullState is every VM in comparable lines: identity, placement, hardware,
// notes, every device with its backing and connection, and the snapshot tree
// with the current snapshot. A refused call must leave it unchanged.
func fullState(t *testing.T, e *testenv.Env) []string {
	t.Helper()
	var out []string
	for _, vm := range e.VMs(t, day2Props...) {
		line := fmt.Sprintf("%s %q parent=%v pool=%v host=%v ds=%v state=%s", vm.Self.Value, vm.Name, vm.Parent, vm.ResourcePool, vm.Runtime.Host, vm.Datastore, vm.Runtime.PowerState)
		if c := vm.Config; c != nil {
			cores := int32(0)
			if c.Hardware.NumCoresPerSocket != nil {
				cores = *c.Hardware.NumCoresPerSocket
			}
			line += fmt.Sprintf(" cpu=%d cores=%d mem=%d template=%v notes=%q", c.Hardware.NumCPU, cores, c.Hardware.MemoryMB, c.Template, c.Annotation)
			for _, d := range c.Hardware.Device {
				line += " | " + deviceLine(d)
			}
		}
		if s := vm.Snapshot; s != nil {
			line += fmt.Sprintf(" snapshots=%s current=%v", snapshotLines(s.RootSnapshotList), s.CurrentSnapshot)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func deviceLine(d types.BaseVirtualDevice) string {
	vd := d.GetVirtualDevice()
	s := fmt.Sprintf("%T key=%d", d, vd.Key)
	if c := vd.Connectable; c != nil {
		s += fmt.Sprintf(" conn=%v/%v", c.Connected, c.StartConnected)
	}
	switch b := vd.Backing.(type) {
	case types.BaseVirtualDeviceFileBackingInfo:
		s += " file=" + b.GetVirtualDeviceFileBackingInfo().FileName
	case *types.VirtualEthernetCardNetworkBackingInfo:
		s += " net=" + b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		s += " pg=" + b.Port.PortgroupKey
	}
	if disk, ok := d.(*types.VirtualDisk); ok {
		s += fmt.Sprintf(" kb=%d", disk.CapacityInKB)
	}
	return s
}

func snapshotLines(tree []types.VirtualMachineSnapshotTree) string {
	var parts []string
	for _, n := range tree {
		parts = append(parts, fmt.Sprintf("%s:%s(%s)", n.Snapshot.Value, n.Name, snapshotLines(n.ChildSnapshotList)))
	}
	return strings.Join(parts, ",")
}

// badInput is one refused call of a bad-input table.
type badInput struct {
	name string
	args map[string]any
	want []string // substrings of the error
}

// runBadInputs calls tool with each case, requires a tool error that says each
// want, leaks nothing, and leaves the whole inventory unchanged.
func runBadInputs(t *testing.T, e *testenv.Env, tool string, cases []badInput) {
	t.Helper()
	if len(cases) < 10 {
		t.Fatalf("the %s table must hold at least 10 cases, has %d", tool, len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fullState(t, e)
			msg := testenv.CallErr(t, e, tool, c.args)
			t.Logf("%s: %s", tool, msg)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			for _, leak := range []string{"soap", "Envelope", "goroutine", ".go:", "ServerFaultCode"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
			if after := fullState(t, e); !slices.Equal(before, after) {
				t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// vmRefCases are the bad VM references every tool taking a VM in field refuses.
// ambiguous must be a name two VMs share.
func vmRefCases(field string, args map[string]any, ambiguous string) []badInput {
	with := func(v any) map[string]any {
		m := map[string]any{}
		for k, x := range args {
			m[k] = x
		}
		if v == nil {
			delete(m, field)
		} else {
			m[field] = v
		}
		return m
	}
	return []badInput{
		{"missing VM", with(nil), []string{field}},
		{"empty VM", with(""), []string{field}},
		// References are exact: blanks are a name no VM has.
		{"blank VM", with("   "), []string{`VM "   " not found`}},
		{"VM of the wrong type", with(42), []string{field}},
		{"unknown VM", with("no-such-vm"), []string{`VM "no-such-vm" not found`}},
		{"unknown VM path", with("/DC0/vm/nowhere/x"), []string{"not found"}},
		{"ambiguous VM", with(ambiguous), []string{"matches 2 objects", "inventory path"}},
	}
}

// twinVM makes a second VM called name in a new folder, so that name is ambiguous.
func twinVM(t *testing.T, e *testenv.Env, name string) {
	t.Helper()
	ctx := context.Background()
	f := find.NewFinder(e.Vim)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	twins, err := folders.VmFolder.CreateFolder(ctx, "twins")
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	pools, err := f.ResourcePoolList(ctx, "*")
	if err != nil || len(pools) == 0 {
		t.Fatalf("no resource pool: %v", err)
	}
	ds, err := f.DefaultDatastore(ctx)
	if err != nil {
		dss, lerr := f.DatastoreList(ctx, "*")
		if lerr != nil || len(dss) == 0 {
			t.Fatalf("no datastore: %v %v", err, lerr)
		}
		ds = dss[0]
	}
	wait(t, func() (*object.Task, error) {
		return twins.CreateVM(ctx, types.VirtualMachineConfigSpec{
			Name: name, GuestId: "otherGuest64", Files: &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] twin-%s", ds.Name(), name)},
		}, pools[0], nil)
	})
}

// wait runs a task directly and fails the test if it fails.
func wait(t *testing.T, start func() (*object.Task, error)) {
	t.Helper()
	task, err := start()
	if err == nil {
		err = task.Wait(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
}

// vmObj is the VM called name, as a govmomi object on the independent session.
func vmObj(t *testing.T, e *testenv.Env, name string) *object.VirtualMachine {
	t.Helper()
	return object.NewVirtualMachine(e.Vim, mustVM(t, e, name).Self)
}

// reconfigure changes a VM directly (test setup, not the tool under test).
func reconfigure(t *testing.T, e *testenv.Env, name string, spec types.VirtualMachineConfigSpec) {
	t.Helper()
	vm := vmObj(t, e, name)
	wait(t, func() (*object.Task, error) { return vm.Reconfigure(context.Background(), spec) })
}

// putISO writes a file into a simulated datastore's backing directory (the
// simulator's temporary directory, removed with it), so that ISO checks find it.
func putISO(t *testing.T, e *testenv.Env, datastore, path string) string {
	t.Helper()
	var dss []mo.Datastore
	for _, ds := range datastoresOf(t, e) {
		if ds.Name == datastore {
			dss = append(dss, ds)
		}
	}
	if len(dss) != 1 {
		t.Fatalf("datastore %s not found", datastore)
	}
	dir := dss[0].Info.GetDatastoreInfo().Url
	full := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte("not really an ISO"), 0o644); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("[%s] %s", datastore, path)
}

func datastoresOf(t *testing.T, e *testenv.Env) []mo.Datastore {
	t.Helper()
	ctx := context.Background()
	f := find.NewFinder(e.Vim)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	list, err := f.DatastoreList(ctx, "*")
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]types.ManagedObjectReference, len(list))
	for i, d := range list {
		refs[i] = d.Reference()
	}
	var dss []mo.Datastore
	if err := property.DefaultCollector(e.Vim).Retrieve(ctx, refs, []string{"name", "info"}, &dss); err != nil {
		t.Fatal(err)
	}
	return dss
}

// currentSnapshot reads a VM's snapshot tree and current snapshot directly.
func snapshotsOf(t *testing.T, e *testenv.Env, name string) (*types.VirtualMachineSnapshotInfo, map[string]types.VirtualMachineSnapshotTree) {
	t.Helper()
	vm := mustVM(t, e, name)
	all := map[string]types.VirtualMachineSnapshotTree{}
	var walk func([]types.VirtualMachineSnapshotTree)
	walk = func(tree []types.VirtualMachineSnapshotTree) {
		for _, n := range tree {
			all[n.Snapshot.Value] = n
			walk(n.ChildSnapshotList)
		}
	}
	if vm.Snapshot != nil {
		walk(vm.Snapshot.RootSnapshotList)
	}
	return vm.Snapshot, all
}

// nicsOf returns a VM's network adapters, read directly.
func nicsOf(t *testing.T, e *testenv.Env, name string) []types.BaseVirtualDevice {
	t.Helper()
	var out []types.BaseVirtualDevice
	for _, d := range mustVM(t, e, name).Config.Hardware.Device {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			out = append(out, d)
		}
	}
	return out
}

func card(d types.BaseVirtualDevice) *types.VirtualEthernetCard {
	return d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
}

// devicesOfVM returns a VM's devices of one kind, read directly.
func devicesOfVM[T types.BaseVirtualDevice](t *testing.T, e *testenv.Env, name string) []T {
	t.Helper()
	var out []T
	for _, d := range mustVM(t, e, name).Config.Hardware.Device {
		if x, ok := d.(T); ok {
			out = append(out, x)
		}
	}
	return out
}
