package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestStandaloneESX: against a standalone ESXi host, VMs are created and
// deleted the same way, and cloning (which ESXi lacks) is refused up front.
func TestStandaloneESX(t *testing.T) {
	e := testenv.New(t, testenv.Options{ESX: true})
	out := testenv.CallOK[struct{ ID, Path, VMXPath string }](t, e, "create_vm", map[string]any{"name": "esx-vm", "cpu": 2, "memory": 1024, "power_on": true})
	vm := mustVM(t, e, "esx-vm")
	if out.ID != vm.Self.Value || vm.Config.Hardware.NumCPU != 2 || vm.Runtime.PowerState != "poweredOn" {
		t.Errorf("create_vm on ESXi: answer %+v, vSphere %s %d CPU %s", out, vm.Self.Value, vm.Config.Hardware.NumCPU, vm.Runtime.PowerState)
	}
	before := inventory(t, e)
	msg := testenv.CallErr(t, e, "clone_vm", map[string]any{"template_name": "esx-vm", "new_name": "esx-clone"})
	if !strings.Contains(msg, "cloning needs vCenter") {
		t.Errorf("clone on ESXi: %q", msg)
	}
	if after := inventory(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("the refused clone changed the inventory")
	}
	testenv.CallOK[struct{}](t, e, "delete_vm", map[string]any{"name": "esx-vm", "force": true})
	if vmNamed(t, e, "esx-vm") != nil {
		t.Error("esx-vm still exists")
	}
}
