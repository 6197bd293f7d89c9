package mcpserver_test

import (
	"strings"
	"testing"

	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestDay2FaultsInWords: vSphere faults the day-2 operations meet (injected
// into the simulator's answers) reach the model in words, and change nothing.
func TestDay2FaultsInWords(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	const on, off = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": on, "snapshot": "s"})
	vm := mustVM(t, e, off).Self
	other := "DC0_C0_H2" // a host the running VM is not on
	if nameOf(t, e, *mustVM(t, e, on).Runtime.Host) == other {
		other = "DC0_C0_H1"
	}
	cases := []struct {
		name   string
		method string
		fault  types.BaseMethodFault
		tool   string
		args   map[string]any
		want   []string
	}{
		{"vMotion compatibility", "RelocateVM_Task",
			&types.MismatchedVMotionNetworkNames{MigrationFault: types.MigrationFault{VimFault: types.VimFault{MethodFault: types.MethodFault{
				FaultMessage: []types.LocalizableMessage{{Message: "the source and destination networks differ"}}}}}},
			"migrate_vm", map[string]any{"name": on, "host": other},
			[]string{"migrating VM " + on, "vMotion compatibility: MismatchedVMotionNetworkNames", "networks differ", "choose another host"}},
		{"not enough memory for a reconfigure", "ReconfigVM_Task",
			&types.InsufficientMemoryResourcesFault{Requested: 8192 << 20, Unreserved: 2048 << 20},
			"reconfigure_vm", map[string]any{"name": off, "memory": 8192},
			[]string{"reconfiguring VM " + off, "not enough memory: 8192 MB requested, 2048 MB available"}},
		{"snapshot while another task runs", "CreateSnapshot_Task",
			&types.TaskInProgress{Task: types.ManagedObjectReference{Type: "Task", Value: "task-77"}},
			"create_snapshot", map[string]any{"name": off, "snapshot": "busy"},
			[]string{`taking snapshot "busy" of VM ` + off, "another vSphere task (task-77) is running"}},
		{"revert without the privilege", "RevertToSnapshot_Task",
			&types.NoPermission{Object: &vm, PrivilegeId: "VirtualMachine.State.RevertToSnapshot"},
			"revert_snapshot", map[string]any{"name": on, "snapshot": "s"},
			[]string{"reverting VM " + on, "lacks the privilege VirtualMachine.State.RevertToSnapshot"}},
		{"delete all, file locked", "RemoveAllSnapshots_Task",
			&types.FileLocked{FileFault: types.FileFault{File: "[LocalDS_0] x/x-000001.vmdk"}},
			"delete_snapshot", map[string]any{"name": on, "snapshot": "*"},
			[]string{"deleting all 1 snapshots of VM " + on, "file [LocalDS_0] x/x-000001.vmdk is locked"}},
		{"template without the privilege", "MarkAsTemplate",
			&types.NoPermission{Object: &vm, PrivilegeId: "VirtualMachine.Provisioning.MarkAsTemplate"},
			"convert_to_template", map[string]any{"name": off},
			[]string{"converting VM " + off + " (" + vm.Value + ") to a template", "lacks the privilege VirtualMachine.Provisioning.MarkAsTemplate"}},
		{"template host in maintenance", "MarkAsVirtualMachine",
			&types.InvalidState{},
			"convert_to_vm", map[string]any{"name": simulator.TemplateName},
			[]string{"converting template VM " + simulator.TemplateName, "not in a state that allows this"}},
	}
	svc := e.Sim.Model().Service
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fullState(t, e)
			svc.AddFaultRule(&vsim.FaultInjectionRule{
				MethodName: c.method, ObjectType: "*", ObjectName: "*",
				Probability: 1, FaultType: vsim.FaultTypeCustom, Fault: c.fault, Enabled: true,
			})
			defer svc.ClearFaultRules()
			msg := testenv.CallErr(t, e, c.tool, c.args)
			t.Logf("%s: %s", c.tool, msg)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			for _, leak := range []string{"ServerFaultCode", "soap", "*types.", "injected"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
			if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}
