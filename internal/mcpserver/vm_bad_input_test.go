package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestBadInputChangesNothing: every bad input is a tool error that names the
// problem, and the whole VM inventory, read directly, is the same afterwards.
func TestBadInputChangesNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	ctx := context.Background()
	setHostMaxVCPUs(t, e, fx.ref(t, "host", "DC0_C0_H2"), 8)
	// A second VM named DC0_H0_VM0, in folder prod, makes that name ambiguous.
	task, err := object.NewFolder(e.Vim, fx.folder).CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name: "DC0_H0_VM0", GuestId: "otherGuest64", Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0] twin"},
	}, object.NewResourcePool(e.Vim, fx.pool), nil)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.Fresh(t)

	// A VM named like another VM's id (on ESXi ids are plain numbers: a VM named
	// "42" is a real risk): the id must not silently win over the name.
	idTwinTarget := mustVM(t, e, "DC0_H0_VM1").Self.Value
	task, err = object.NewFolder(e.Vim, fx.folder).CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name: idTwinTarget, GuestId: "otherGuest64", Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0] idtwin"},
	}, object.NewResourcePool(e.Vim, fx.pool), nil)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.Fresh(t)

	const on, off = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1" // powered on, powered off; Tools not running in either
	long := strings.Repeat("x", 81)
	create := func(kv ...any) map[string]any {
		args := map[string]any{"name": "bad-new", "cpu": 1, "memory": 512}
		for i := 0; i < len(kv); i += 2 {
			args[kv[i].(string)] = kv[i+1]
		}
		return args
	}
	cases := []struct {
		name string
		tool string
		args map[string]any
		want []string // substrings of the error
	}{
		{"empty name", "create_vm", create("name", ""), []string{"name"}},
		{"blank name", "create_vm", create("name", "   "), []string{"name"}},
		{"name too long", "create_vm", create("name", long), []string{"name"}},
		{"name with slash", "create_vm", create("name", "a/b"), []string{"name"}},
		{"name with backslash", "create_vm", create("name", `a\b`), []string{"name"}},
		{"zero cpu", "create_vm", create("cpu", 0), []string{"cpu"}},
		{"negative cpu", "create_vm", create("cpu", -2), []string{"cpu"}},
		{"huge cpu", "create_vm", create("cpu", 4096), []string{"cpu"}},
		{"cpu above the host's maximum", "create_vm", create("cpu", 16, "host", "DC0_C0_H2"), []string{"cpu 16", "DC0_C0_H2", "at most 8"}},
		{"memory not a multiple of 4", "create_vm", create("memory", 1022), []string{"memory", "multiple of 4"}},
		{"memory too small", "create_vm", create("memory", 0), []string{"memory"}},
		{"memory above 6 TB", "create_vm", create("memory", 6*1024*1024+4), []string{"memory"}},
		{"disk too large", "create_vm", create("disk_gb", 63489), []string{"disk_gb"}},
		{"unknown guest id", "create_vm", create("guest_id", "ubuntu"), []string{`guest_id "ubuntu"`, "ubuntu64Guest"}},
		{"unknown datastore", "create_vm", create("datastore", "ds9"), []string{`datastore "ds9" not found`, "LocalDS_0", "LocalDS_1"}},
		{"unknown network", "create_vm", create("network", "nope"), []string{`network "nope" not found`, "VM Network", "DC0_DVPG0"}},
		{"unknown folder", "create_vm", create("folder", "nowhere"), []string{`folder "nowhere" not found`, "/DC0/vm/prod"}},
		{"unknown pool", "create_vm", create("resource_pool", "rp-none"), []string{`resource pool "rp-none" not found`, "rp-test"}},
		{"pool of another cluster", "create_vm", create("resource_pool", "/DC0/host/DC0_H0/Resources", "cluster", "DC0_C0"), []string{"not found in cluster DC0_C0"}},
		{"unknown cluster", "create_vm", create("cluster", "C9"), []string{`cluster "C9" not found`, "DC0_C0"}},
		{"unknown host", "create_vm", create("host", "esx9"), []string{`host "esx9" not found`, "DC0_C0_H0"}},
		{"host outside the cluster", "create_vm", create("host", "DC0_H0", "cluster", "DC0_C0"), []string{`host "DC0_H0" is not in cluster "DC0_C0"`}},
		{"duplicate name", "create_vm", create("name", off), []string{"already used in folder /DC0/vm"}},
		{"unknown VM", "get_vm", map[string]any{"name": "no-such-vm"}, []string{`VM "no-such-vm" not found`}},
		{"ambiguous VM", "power_on_vm", map[string]any{"name": "DC0_H0_VM0"}, []string{"matches 2 objects", "/DC0/vm/DC0_H0_VM0", "/DC0/vm/prod/DC0_H0_VM0"}},
		{"name equal to another VM's id", "delete_vm", map[string]any{"name": idTwinTarget, "force": true}, []string{"matches 2 objects", "matched by id", "matched by name", "/DC0/vm/prod/" + idTwinTarget}},
		{"powered-on delete without force", "delete_vm", map[string]any{"name": on}, []string{"poweredOn", "force: true"}},
		{"guest shutdown without Tools", "power_off_vm", map[string]any{"name": on, "mode": "guest"}, []string{"VMware Tools are not running", "mode: hard"}},
		{"guest reboot without Tools", "restart_vm", map[string]any{"name": on, "mode": "guest"}, []string{"VMware Tools are not running", "mode: hard"}},
		{"unknown power mode", "power_off_vm", map[string]any{"name": on, "mode": "soft"}, []string{"mode"}},
		{"zero guest timeout", "power_off_vm", map[string]any{"name": on, "mode": "guest", "timeout_seconds": 0}, []string{"timeout_seconds"}},
		{"restart of a VM that is off", "restart_vm", map[string]any{"name": off}, []string{"poweredOff", "power_on_vm"}},
		{"suspend of a VM that is off", "suspend_vm", map[string]any{"name": off}, []string{"only a running VM can be suspended"}},
		{"power on a template", "power_on_vm", map[string]any{"name": simulator.TemplateName}, []string{"is a template"}},
		{"linked clone without a snapshot", "clone_vm", map[string]any{"template_name": off, "new_name": "lc", "linked": true}, []string{"has no snapshot", "take a snapshot", "without linked"}},
		{"clone to a used name", "clone_vm", map[string]any{"template_name": simulator.TemplateName, "new_name": off}, []string{"already used in folder /DC0/vm"}},
		{"clone of an unknown source", "clone_vm", map[string]any{"template_name": "golden-image", "new_name": "c"}, []string{`VM "golden-image" not found`}},
		{"clone to an unknown datastore", "clone_vm", map[string]any{"template_name": off, "new_name": "c", "datastore": "ds9"}, []string{`datastore "ds9" not found`}},
		{"clone with bad memory", "clone_vm", map[string]any{"template_name": off, "new_name": "c", "memory": 1001}, []string{"memory"}},
		{"clone name with slash", "clone_vm", map[string]any{"template_name": off, "new_name": "a/b"}, []string{"new_name"}},
	}
	if len(cases) < 20 {
		t.Fatalf("the table must hold at least 20 cases, has %d", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := inventory(t, e)
			msg := testenv.CallErr(t, e, c.tool, c.args)
			t.Logf("%s: %s", c.tool, msg)
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
			if after := inventory(t, e); !slices.Equal(before, after) {
				t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}
