package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestTemplates converts a VM to a template and back, and the seeded template
// to a VM, checking the template flag and the pool in vSphere.
func TestTemplates(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	const name = "DC0_C0_RP0_VM1" // powered off

	r := testenv.CallOK[vsphere.TemplateResult](t, e, "convert_to_template", map[string]any{"name": name})
	if vm := mustVM(t, e, name); !vm.Config.Template || !r.Template || !r.Changed {
		t.Fatalf("after convert_to_template: vSphere template %v, answer %+v", vm.Config.Template, r)
	}
	again := testenv.CallOK[vsphere.TemplateResult](t, e, "convert_to_template", map[string]any{"name": name})
	if again.Changed || !again.Template {
		t.Errorf("second convert_to_template: %+v, want unchanged", again)
	}

	back := testenv.CallOK[vsphere.TemplateResult](t, e, "convert_to_vm", map[string]any{"name": name, "resource_pool": "rp-test"})
	vm := mustVM(t, e, name)
	if vm.Config.Template || back.Template || vm.ResourcePool == nil || *vm.ResourcePool != fx.pool || back.ResourcePool != "/DC0/host/DC0_C0/Resources/rp-test" {
		t.Errorf("after convert_to_vm: template %v, pool %v, answer %+v", vm.Config.Template, vm.ResourcePool, back)
	}
	if again := testenv.CallOK[vsphere.TemplateResult](t, e, "convert_to_vm", map[string]any{"name": name}); again.Changed {
		t.Errorf("convert_to_vm of a VM: %+v, want unchanged", again)
	}

	// The seeded template, without arguments: the root pool of its own cluster, on its own host.
	tmpl := mustVM(t, e, simulator.TemplateName)
	host := nameOf(t, e, *tmpl.Runtime.Host)
	d := testenv.CallOK[vsphere.TemplateResult](t, e, "convert_to_vm", map[string]any{"name": simulator.TemplateName})
	vm = mustVM(t, e, simulator.TemplateName)
	if vm.Config.Template || vm.ResourcePool == nil || *vm.ResourcePool != fx.ref(t, "pool", "/DC0/host/DC0_C0/Resources") || nameOf(t, e, *vm.Runtime.Host) != host || d.Host != host {
		t.Errorf("seeded template to VM: template %v, pool %v, host %v, answer %+v", vm.Config.Template, vm.ResourcePool, vm.Runtime.Host, d)
	}
}

// TestTemplatesOnESXi: a standalone host has no templates; nothing changes.
func TestTemplatesOnESXi(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{ESX: true})
	before := fullState(t, e)
	for _, tool := range []string{"convert_to_template", "convert_to_vm"} {
		msg := testenv.CallErr(t, e, tool, map[string]any{"name": offVM(t, e)})
		if !strings.Contains(msg, "templates need vCenter") {
			t.Errorf("%s on ESXi: %q", tool, msg)
		}
	}
	if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Error("a refused conversion changed the inventory")
	}
}

// TestTemplateBadInput: each refusal says why and changes nothing.
func TestTemplateBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	makeFixtures(t, e)
	twinVM(t, e, "DC0_H0_VM0")
	setPower(t, e, "DC0_H0_VM1", "suspended")
	t.Run("convert_to_template", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{}, "DC0_H0_VM0")
		cases = append(cases,
			badInput{"running VM", map[string]any{"name": "DC0_C0_RP0_VM0"}, []string{"poweredOn", "power it off first"}},
			badInput{"suspended VM", map[string]any{"name": "DC0_H0_VM1"}, []string{"suspended", "power it off first"}},
			badInput{"unknown UUID", map[string]any{"name": "11111111-2222-3333-4444-555555555555"}, []string{"not found"}},
			badInput{"reference too long", map[string]any{"name": strings.Repeat("r", 1025)}, []string{"name"}},
		)
		runBadInputs(t, e, "convert_to_template", cases)
	})
	t.Run("convert_to_vm", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{}, "DC0_H0_VM0")
		tmpl := simulator.TemplateName
		cases = append(cases,
			badInput{"unknown pool", map[string]any{"name": tmpl, "resource_pool": "rp-none"}, []string{`resource pool "rp-none" not found`}},
			badInput{"pool outside the cluster", map[string]any{"name": tmpl, "resource_pool": "rp-test", "cluster": "DC0_H0"}, []string{"not found in cluster DC0_H0"}},
			badInput{"unknown cluster", map[string]any{"name": tmpl, "cluster": "C9"}, []string{`cluster "C9" not found`}},
			badInput{"unknown host", map[string]any{"name": tmpl, "host": "esx9"}, []string{`host "esx9" not found`}},
			badInput{"host outside the cluster", map[string]any{"name": tmpl, "host": "DC0_H0", "cluster": "DC0_C0"}, []string{"is not in cluster"}},
			badInput{"a VM with placement", map[string]any{"name": "DC0_C0_RP0_VM0", "resource_pool": "rp-test"}, []string{"already is a VM", "migrate_vm"}},
		)
		runBadInputs(t, e, "convert_to_vm", cases)
	})
}
