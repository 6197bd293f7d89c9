package mcpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

type cloneOut struct {
	VM struct {
		ID, Name string
		Notes    []string
	} `json:"vm"`
	Source         struct{ ID, Name string } `json:"source"`
	SourceTemplate bool                      `json:"source_is_template"`
	Linked         bool                      `json:"linked"`
	Snapshot       string                    `json:"snapshot"`
}

func TestCloneVM(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	ctx := context.Background()

	// A snapshot to make a linked clone from, taken directly in vSphere.
	snapSource := mustVM(t, e, "DC0_C0_RP0_VM0")
	task, err := object.NewVirtualMachine(e.Vim, snapSource.Self).CreateSnapshot(ctx, "golden", "", false, false)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}

	tmpl := mustVM(t, e, simulator.TemplateName)
	hostVM := mustVM(t, e, "DC0_H0_VM1")
	cases := []struct {
		name               string
		args               map[string]any
		folder, pool       types.ManagedObjectReference
		datastore          string
		cpu, mem           int32
		power              types.VirtualMachinePowerState
		linked, fromTmpl   bool
		wantNote, wantSnap string
	}{{
		// A template has no pool: the default pool; folder and datastore are the template's.
		name: "template with defaults", args: map[string]any{"template_name": simulator.TemplateName, "new_name": "from-template"},
		folder: *tmpl.Parent, pool: e.VS.Defaults.ResourcePool.Ref, datastore: "LocalDS_0",
		cpu: tmpl.Config.Hardware.NumCPU, mem: tmpl.Config.Hardware.MemoryMB, power: types.VirtualMachinePowerStatePoweredOff,
		fromTmpl: true, wantNote: "source's datastore",
	}, {
		// A VM's clone keeps the source's pool by default.
		name: "VM keeps its pool", args: map[string]any{"template_name": "/DC0/vm/DC0_H0_VM1", "new_name": "same-pool"},
		folder: *hostVM.Parent, pool: *hostVM.ResourcePool, datastore: "LocalDS_0",
		cpu: hostVM.Config.Hardware.NumCPU, mem: hostVM.Config.Hardware.MemoryMB, power: types.VirtualMachinePowerStatePoweredOff,
	}, {
		name: "every placement and override", args: map[string]any{"template_name": "DC0_C0_RP0_VM1", "new_name": "placed",
			"folder": "prod", "resource_pool": "rp-test", "datastore": "LocalDS_1", "cpu": 4, "memory": 4096, "power_on": true},
		folder: fx.folder, pool: fx.pool, datastore: "LocalDS_1", cpu: 4, mem: 4096, power: types.VirtualMachinePowerStatePoweredOn,
	}, {
		// The simulator copies the disks of a linked clone; what is checked is
		// that the clone is made from the current snapshot and said to be linked.
		name: "linked from the current snapshot", args: map[string]any{"template_name": "DC0_C0_RP0_VM0", "new_name": "linked", "linked": true},
		folder: *snapSource.Parent, pool: *snapSource.ResourcePool, datastore: "LocalDS_0",
		cpu: snapSource.Config.Hardware.NumCPU, mem: snapSource.Config.Hardware.MemoryMB, power: types.VirtualMachinePowerStatePoweredOff,
		linked: true, wantSnap: "golden",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := testenv.CallOK[cloneOut](t, e, "clone_vm", c.args)
			vm := mustVM(t, e, c.args["new_name"].(string))
			if out.VM.ID != vm.Self.Value || out.SourceTemplate != c.fromTmpl || out.Linked != c.linked || out.Snapshot != c.wantSnap {
				t.Errorf("answer %+v does not match (vSphere id %s)", out, vm.Self.Value)
			}
			if *vm.Parent != c.folder || vm.ResourcePool == nil || *vm.ResourcePool != c.pool {
				t.Errorf("placed in folder %v pool %v, want %v %v", vm.Parent, vm.ResourcePool, c.folder, c.pool)
			}
			if !strings.HasPrefix(vm.Config.Files.VmPathName, "["+c.datastore+"]") {
				t.Errorf("files at %s, want on %s", vm.Config.Files.VmPathName, c.datastore)
			}
			if vm.Config.Hardware.NumCPU != c.cpu || vm.Config.Hardware.MemoryMB != c.mem {
				t.Errorf("hardware %d CPU %d MB, want %d / %d", vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB, c.cpu, c.mem)
			}
			if vm.Runtime.PowerState != c.power || vm.Config.Template {
				t.Errorf("power %s template %v, want %s and a VM", vm.Runtime.PowerState, vm.Config.Template, c.power)
			}
			if c.wantNote != "" && !strings.Contains(strings.Join(out.VM.Notes, ";"), c.wantNote) {
				t.Errorf("notes %v lack %q", out.VM.Notes, c.wantNote)
			}
		})
	}
}
