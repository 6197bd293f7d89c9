package mcpserver_test

import (
	"context"
	"slices"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// vAppVM makes, in cluster DC0_C0's root pool, a vApp whose folder is a new
// folder /DC0/vm/<vappName>-apps, and a VM inside the vApp; it returns the
// vApp, the VM and that folder. The simulator files such a VM under the
// vApp's folder, as a child of it; vCenter does not: the VM has no parent,
// only parentVApp, and no folder lists it. The fixture gives the VM vCenter's
// shape, and waits until the server's inventory mirror shows it.
func vAppVM(t *testing.T, e *testenv.Env, vappName, vmName string) (vapp, vm, folder types.ManagedObjectReference) {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(e.Vim)
	dc, err := finder.Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := finder.ResourcePool(ctx, "/DC0/host/DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	apps, err := folders.VmFolder.CreateFolder(ctx, vappName+"-apps")
	if err != nil {
		t.Fatal(err)
	}
	app, err := root.CreateVApp(ctx, vappName, types.DefaultResourceConfigSpec(), types.VAppConfigSpec{}, apps)
	if err != nil {
		t.Fatalf("creating vApp %s: %v", vappName, err)
	}
	// vCenter lists a vApp among its folder's children; the simulator does
	// not, and leaves a vApp made after the start out of container views of
	// pools (it registers the vApp before listing it in its parent pool). The
	// fixture lists it, announced, so the server's mirror sees the vApp.
	reg := e.Sim.Model().Map()
	sctx := e.Sim.Model().Service.Context
	simApps := reg.Get(apps.Reference()).(*vsim.Folder)
	sctx.AutoUpdate(simApps, func() {
		simApps.ChildEntity = append(slices.Clone(simApps.ChildEntity), app.Reference())
	})
	task, err := app.CreateChildVM(ctx, types.VirtualMachineConfigSpec{
		Name: vmName, GuestId: "otherGuest64", NumCPUs: 1, MemoryMB: 128,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0] " + vmName},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		t.Fatalf("creating VM %s in vApp %s: %v", vmName, vappName, err)
	}
	vm = info.Result.(types.ManagedObjectReference)
	// The server's mirror must hear of the VM while the simulator still files
	// it in a folder: the update stream cannot reach it through its vApp, as
	// on vCenter, since the vApp is in no view of pools (above). Once seen, it
	// stays.
	e.Fresh(t)

	// vCenter's shape: parentVApp, no parent, in no folder. AutoUpdate
	// announces the changes to the property collectors, as vCenter would, so
	// the server's inventory mirror (fed by the update stream) learns them.
	simVM := reg.Get(vm).(*vsim.VirtualMachine)
	if simVM.Parent == nil || *simVM.Parent != apps.Reference() {
		t.Fatalf("the simulator filed VM %s under %v, not its vApp's folder", vmName, simVM.Parent)
	}
	sctx.AutoUpdate(simApps, func() {
		simApps.ChildEntity = removeRef(simApps.ChildEntity, vm)
	})
	sctx.AutoUpdate(simVM, func() {
		ref := app.Reference()
		simVM.Parent, simVM.ParentVApp = nil, &ref
	})
	e.Fresh(t)
	return app.Reference(), vm, apps.Reference()
}

func removeRef(refs []types.ManagedObjectReference, r types.ManagedObjectReference) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference // a new slice: the checkpoint keeps the old one
	for _, x := range refs {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}

// TestCloneFromVApp: cloning a VM that lives in a vApp gives vSphere a folder
// (the vApp's) and the vApp as the pool — never the vApp as the folder, which
// vCenter refuses — so the clone joins the same vApp. Read back directly.
// Where the simulator differs: it files the clone in the folder CloneVM_Task
// was given (vCenter gives a vApp's VM no folder), so the clone's parent shows
// which folder the server passed — the vApp's, not the default VM folder.
func TestCloneFromVApp(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	vapp, _, folder := vAppVM(t, e, "shop", "shop-web")

	out := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": "shop-web", "new_name": "shop-web-2"})
	var clone mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: out.VM.ID}
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref, []string{"name", "resourcePool", "parent"}, &clone); err != nil {
		t.Fatalf("reading the clone %s: %v", out.VM.ID, err)
	}
	if clone.Name != "shop-web-2" || clone.ResourcePool == nil || *clone.ResourcePool != vapp {
		t.Errorf("clone %s in vSphere: pool %v, want the vApp %s", clone.Name, clone.ResourcePool, vapp.Value)
	}
	if clone.Parent == nil || *clone.Parent != folder {
		t.Errorf("clone's parent is %v, want the vApp's folder %s", clone.Parent, folder.Value)
	}
}
