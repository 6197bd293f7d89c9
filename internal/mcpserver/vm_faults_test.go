package mcpserver_test

import (
	"slices"
	"strings"
	"testing"

	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestFaultsInWords: vSphere faults (injected into the simulator's answers)
// reach the model as sentences it can act on, never as SOAP, and leave the
// inventory as it was.
func TestFaultsInWords(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	setToolsRunning(t, e, "DC0_H0_VM1")
	off := mustVM(t, e, "DC0_C0_RP0_VM1").Self
	const on = "DC0_C0_RP0_VM0"

	cases := []struct {
		name   string
		method string // SOAP method that answers with the fault
		fault  types.BaseMethodFault
		tool   string
		args   map[string]any
		want   []string
	}{
		{"missing privilege (vSphere 8 list)", "PowerOnVM_Task",
			&types.NoPermission{MissingPrivileges: []types.NoPermissionEntityPrivileges{{Entity: off, PrivilegeIds: []string{"VirtualMachine.Interact.PowerOn"}}}},
			"power_on_vm", map[string]any{"name": "DC0_C0_RP0_VM1"},
			[]string{"powering on VM DC0_C0_RP0_VM1", "lacks the privilege VirtualMachine.Interact.PowerOn on " + off.Value, "administrator"}},
		{"missing privilege (older field)", "Destroy_Task",
			&types.NoPermission{Object: &off, PrivilegeId: "VirtualMachine.Inventory.Delete"},
			"delete_vm", map[string]any{"name": "DC0_C0_RP0_VM1"},
			[]string{"deleting VM DC0_C0_RP0_VM1", "lacks the privilege VirtualMachine.Inventory.Delete"}},
		{"insufficient memory", "PowerOnVM_Task",
			&types.InsufficientMemoryResourcesFault{Requested: 4096 << 20, Unreserved: 1024 << 20},
			"power_on_vm", map[string]any{"name": "DC0_C0_RP0_VM1"},
			[]string{"not enough memory: 4096 MB requested, 1024 MB available"}},
		{"insufficient resources, other kind", "PowerOnVM_Task",
			&types.InsufficientHostCapacityFault{},
			"power_on_vm", map[string]any{"name": "DC0_C0_RP0_VM1"},
			[]string{"not enough resources (InsufficientHostCapacityFault)"}},
		{"file already exists", "CreateVM_Task",
			&types.FileAlreadyExists{FileFault: types.FileFault{File: "[LocalDS_1] fresh/fresh.vmx"}},
			"create_vm", map[string]any{"name": "fresh", "cpu": 1, "memory": 128},
			[]string{"creating VM fresh", "file [LocalDS_1] fresh/fresh.vmx already exists"}},
		{"duplicate name", "CloneVM_Task",
			&types.DuplicateName{Name: "twin", Object: off},
			"clone_vm", map[string]any{"template_name": simulator.TemplateName, "new_name": "twin"},
			[]string{`the name "twin" is already used by ` + off.Value}},
		{"invalid power state", "SuspendVM_Task",
			&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: types.VirtualMachinePowerStatePoweredOff},
			"suspend_vm", map[string]any{"name": on},
			[]string{"the VM is poweredOff, and this needs it poweredOn"}},
		{"Tools unavailable", "ShutdownGuest",
			&types.ToolsUnavailable{},
			"power_off_vm", map[string]any{"name": "DC0_H0_VM1", "mode": "guest"},
			[]string{"VMware Tools are not running in the guest", "mode: hard"}},
		{"another task running", "ResetVM_Task",
			&types.TaskInProgress{Task: types.ManagedObjectReference{Type: "Task", Value: "task-999"}},
			"restart_vm", map[string]any{"name": on},
			[]string{"another vSphere task (task-999) is running", "retry"}},
		{"fault without a translation", "PowerOffVM_Task",
			&types.OutOfBounds{ArgumentName: "x"},
			"power_off_vm", map[string]any{"name": on},
			[]string{"powering off VM " + on, "vSphere fault OutOfBounds"}},
	}
	svc := e.Sim.Model().Service
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := inventory(t, e)
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
			if after := inventory(t, e); !slices.Equal(before, after) {
				t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}
