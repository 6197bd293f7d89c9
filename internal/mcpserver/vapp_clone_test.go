package mcpserver_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// vAppVM makes a vApp in cluster DC0_C0's root pool and a VM inside it, and
// returns both. The simulator files such a VM under the vApp's folder, as a
// child of it; vCenter does not: the VM has no parent, only parentVApp, and no
// folder lists it. The fixture gives the VM vCenter's shape.
func vAppVM(t *testing.T, e *testenv.Env, vappName, vmName string) (vapp, vm types.ManagedObjectReference) {
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
	app, err := root.CreateVApp(ctx, vappName, types.DefaultResourceConfigSpec(), types.VAppConfigSpec{}, folders.VmFolder)
	if err != nil {
		t.Fatalf("creating vApp %s: %v", vappName, err)
	}
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

	// vCenter's shape: parentVApp, no parent, in no folder.
	reg := e.Sim.Model().Map()
	simVM := reg.Get(vm).(*vsim.VirtualMachine)
	folder := reg.Get(*simVM.Parent).(*vsim.Folder)
	sctx := e.Sim.Model().Service.Context
	sctx.WithLock(folder, func() {
		folder.ChildEntity = removeRef(folder.ChildEntity, vm)
	})
	sctx.WithLock(simVM, func() {
		ref := app.Reference()
		simVM.Parent, simVM.ParentVApp = nil, &ref
	})
	return app.Reference(), vm
}

func removeRef(refs []types.ManagedObjectReference, r types.ManagedObjectReference) []types.ManagedObjectReference {
	out := refs[:0]
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
func TestCloneFromVApp(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	vapp, _ := vAppVM(t, e, "shop", "shop-web")

	out := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": "shop-web", "new_name": "shop-web-2"})
	var clone mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: out.VM.ID}
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref, []string{"name", "resourcePool", "parent"}, &clone); err != nil {
		t.Fatalf("reading the clone %s: %v", out.VM.ID, err)
	}
	if clone.Name != "shop-web-2" || clone.ResourcePool == nil || *clone.ResourcePool != vapp {
		t.Errorf("clone %s in vSphere: pool %v, want the vApp %s", clone.Name, clone.ResourcePool, vapp.Value)
	}
	if clone.Parent != nil && clone.Parent.Type != "Folder" {
		t.Errorf("clone's parent is %v, want a folder", clone.Parent)
	}
}
