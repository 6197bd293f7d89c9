package mcpserver_test

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

func hostName(t *testing.T, c *vim25.Client, vm mo.VirtualMachine) string {
	var h mo.HostSystem
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, *vm.Runtime.Host, &h); err != nil {
		t.Fatal(err)
	}
	return h.Name
}

// computeName reads, directly from vSphere, the name of the cluster (or
// standalone host's compute resource) that a VM's host belongs to.
func computeName(t *testing.T, c *vim25.Client, vm mo.VirtualMachine) string {
	ctx := context.Background()
	pc := property.DefaultCollector(c)
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, *vm.Runtime.Host, []string{"parent"}, &h); err != nil {
		t.Fatal(err)
	}
	var cr mo.ManagedEntity
	if err := pc.RetrieveOne(ctx, *h.Parent, []string{"name"}, &cr); err != nil {
		t.Fatal(err)
	}
	return cr.Name
}

func TestListVMsFilters(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	direct := e.VMs(t, "name", "runtime", "config", "summary")
	aHost := hostName(t, e.Vim, direct[0])
	inCluster := func(name string) func(vm mo.VirtualMachine) bool {
		return func(vm mo.VirtualMachine) bool { return !vm.Config.Template && computeName(t, e.Vim, vm) == name }
	}
	// The cluster cases mean something only if both compute resources hold VMs.
	for _, cr := range []string{"DC0_C0", "DC0_H0"} {
		if !slices.ContainsFunc(direct, inCluster(cr)) {
			t.Fatalf("the simulator has no VM in %s; the cluster filter cases would prove nothing", cr)
		}
	}

	tests := []struct {
		name string
		args map[string]any
		want func(vm mo.VirtualMachine) bool
	}{
		{"default excludes templates", map[string]any{}, func(vm mo.VirtualMachine) bool { return !vm.Config.Template }},
		{"include templates", map[string]any{"include_templates": true}, func(mo.VirtualMachine) bool { return true }},
		{"templates only", map[string]any{"templates_only": true}, func(vm mo.VirtualMachine) bool { return vm.Config.Template }},
		{"substring, any case", map[string]any{"name": "rp0"}, func(vm mo.VirtualMachine) bool {
			return !vm.Config.Template && strings.Contains(strings.ToLower(vm.Name), "rp0")
		}},
		{"glob", map[string]any{"name": "DC0_H0_*"}, func(vm mo.VirtualMachine) bool {
			ok, _ := path.Match("DC0_H0_*", vm.Name)
			return ok && !vm.Config.Template
		}},
		{"powered off", map[string]any{"power_state": "poweredOff"}, func(vm mo.VirtualMachine) bool {
			return !vm.Config.Template && vm.Runtime.PowerState == "poweredOff"
		}},
		{"powered on", map[string]any{"power_state": "poweredOn"}, func(vm mo.VirtualMachine) bool {
			return !vm.Config.Template && vm.Runtime.PowerState == "poweredOn"
		}},
		{"host", map[string]any{"host": aHost}, func(vm mo.VirtualMachine) bool {
			return !vm.Config.Template && hostName(t, e.Vim, vm) == aHost
		}},
		{"cluster", map[string]any{"cluster": "DC0_C0"}, inCluster("DC0_C0")},
		{"standalone host's compute resource", map[string]any{"cluster": "DC0_H0"}, inCluster("DC0_H0")},
		{"folder", map[string]any{"folder": "/DC0/vm"}, func(vm mo.VirtualMachine) bool { return !vm.Config.Template }},
		{"folder, trailing slash", map[string]any{"folder": "/DC0/vm/"}, func(vm mo.VirtualMachine) bool { return !vm.Config.Template }},
		{"no match", map[string]any{"name": "zzz"}, func(mo.VirtualMachine) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testenv.CallOK[vsphere.VMList](t, e, "list_vms", tt.args)
			var want []string
			for _, vm := range direct {
				if tt.want(vm) {
					want = append(want, vm.Self.Value)
				}
			}
			var ids []string
			for _, v := range got.VMs {
				ids = append(ids, v.ID)
			}
			slices.Sort(want)
			slices.Sort(ids)
			if !slices.Equal(ids, want) {
				t.Errorf("ids = %v, want %v", ids, want)
			}
			if got.Total != len(want) || got.Truncated {
				t.Errorf("total = %d truncated = %v, want %d false", got.Total, got.Truncated, len(want))
			}
		})
	}
}

func TestListVMsFieldsMatchVSphere(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	got := testenv.CallOK[vsphere.VMList](t, e, "list_vms", map[string]any{"include_templates": true})
	byID := map[string]vsphere.VMSummary{}
	for _, v := range got.VMs {
		byID[v.ID] = v
	}
	for _, vm := range e.VMs(t, "name", "runtime", "config", "summary") {
		v, ok := byID[vm.Self.Value]
		if !ok {
			t.Errorf("%s missing", vm.Name)
			continue
		}
		if v.Name != vm.Name || v.CPUs != vm.Config.Hardware.NumCPU || v.MemoryMB != vm.Config.Hardware.MemoryMB ||
			v.PowerState != string(vm.Runtime.PowerState) || v.Template != vm.Config.Template ||
			v.GuestOS != vm.Config.GuestFullName || v.UUID != vm.Config.Uuid || v.Host != hostName(t, e.Vim, vm) ||
			v.Path != "/DC0/vm/"+vm.Name || v.Cluster == "" {
			t.Errorf("%s: listed %+v, vSphere has name=%s cpu=%d mem=%d power=%s template=%v", vm.Name, v,
				vm.Name, vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB, vm.Runtime.PowerState, vm.Config.Template)
		}
	}
}

func TestListVMsPaging(t *testing.T) {
	e := testenv.New(t, testenv.Options{VMsPerPool: 12})
	all := len(e.VMs(t, "name", "runtime", "config", "summary")) - 1 // minus the template
	seen := map[string]int{}
	cursor, pages := "", 0
	for {
		args := map[string]any{"limit": 5}
		if cursor != "" {
			args["cursor"] = cursor
		}
		page := testenv.CallOK[vsphere.VMList](t, e, "list_vms", args)
		pages++
		if page.Total != all {
			t.Fatalf("page %d: total = %d, want %d", pages, page.Total, all)
		}
		if len(page.VMs) > 5 {
			t.Fatalf("page %d has %d VMs, limit 5", pages, len(page.VMs))
		}
		for _, v := range page.VMs {
			seen[v.ID]++
		}
		if !page.Truncated {
			if page.NextCursor != "" {
				t.Error("last page has a cursor")
			}
			break
		}
		cursor = page.NextCursor
		if pages > all {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != all {
		t.Errorf("saw %d distinct VMs over %d pages, want %d", len(seen), pages, all)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
	if want := (all + 4) / 5; pages != want {
		t.Errorf("pages = %d, want %d", pages, want)
	}
}

func TestListVMsBadInput(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	first := testenv.CallOK[vsphere.VMList](t, e, "list_vms", map[string]any{"limit": 1})
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"limit too big", map[string]any{"limit": 1001}, "limit"},
		{"limit zero", map[string]any{"limit": -1}, "limit"},
		{"bad power state", map[string]any{"power_state": "sleeping"}, "power_state"},
		{"garbage cursor", map[string]any{"cursor": "not-a-cursor"}, "cursor"},
		{"cursor with other filters", map[string]any{"cursor": first.NextCursor, "name": "DC0"}, "cursor"},
		{"bad glob", map[string]any{"name": "web-["}, "glob"},
		{"cursor with another sort", map[string]any{"cursor": first.NextCursor, "sort": "cpu"}, "cursor"},
		{"unknown argument", map[string]any{"colour": "red"}, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := testenv.CallErr(t, e, "list_vms", tt.args)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
		})
	}
}

// TestListVMsSOAPCost: list_vms costs no SOAP request whatever the inventory
// size: it is answered from the inventory mirror. (The mirror's own update
// stream, WaitForUpdatesEx, runs in the background and is not counted.)
func TestListVMsSOAPCost(t *testing.T) {
	counts := map[int]map[string]int{}
	totals := map[int]int{}
	for _, perPool := range []int{2, 60} {
		e := testenv.New(t, testenv.Options{VMsPerPool: perPool})
		e.ResetSOAP()
		list := testenv.CallOK[vsphere.VMList](t, e, "list_vms", map[string]any{"limit": 1000})
		_, counts[perPool] = e.SOAP()
		delete(counts[perPool], "WaitForUpdatesEx")
		for _, n := range counts[perPool] {
			totals[perPool] += n
		}
		t.Logf("%d VMs: %d SOAP requests %v", list.Total, totals[perPool], counts[perPool])
		if list.Total < 2*perPool {
			t.Fatalf("inventory has %d VMs, want at least %d", list.Total, 2*perPool)
		}
	}
	if totals[2] != totals[60] {
		t.Errorf("SOAP requests grow with the inventory: %v vs %v", counts[2], counts[60])
	}
	if totals[60] != 0 {
		t.Errorf("list_vms made SOAP requests %v, want none", counts[60])
	}
}
