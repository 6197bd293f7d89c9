package mcpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestMigrateVM moves a running VM by host (vMotion), datastore (Storage
// vMotion), pool and folder, and to a host of another compute resource,
// checking host, datastore, pool and folder in vSphere after each move.
func TestMigrateVM(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	const name = "DC0_C0_RP0_VM0" // powered on, in cluster DC0_C0
	vm := mustVM(t, e, name)
	from := nameOf(t, e, *vm.Runtime.Host)
	to := "DC0_C0_H1"
	if from == to {
		to = "DC0_C0_H2"
	}

	r := testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "host": to, "priority": "high"})
	vm = mustVM(t, e, name)
	if got := nameOf(t, e, *vm.Runtime.Host); got != to || r.Kind != "vMotion" || r.Task == "" || !r.Changed {
		t.Errorf("after vMotion: host %s (want %s), answer %+v", got, to, r)
	}
	if len(r.Changes) != 1 || r.Changes[0].Item != "host" || r.Changes[0].Before != from || r.Changes[0].After != to {
		t.Errorf("changes %+v", r.Changes)
	}

	r = testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "datastore": "LocalDS_1"})
	vm = mustVM(t, e, name)
	if len(vm.Datastore) != 1 || nameOf(t, e, vm.Datastore[0]) != "LocalDS_1" || r.Kind != "Storage vMotion" {
		t.Errorf("after Storage vMotion: datastores %v, kind %s", vm.Datastore, r.Kind)
	}

	r = testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "resource_pool": "rp-test", "folder": "prod"})
	vm = mustVM(t, e, name)
	if *vm.ResourcePool != fx.pool || *vm.Parent != fx.folder || r.FolderTask == "" || r.VM.Path != "/DC0/vm/prod/"+name {
		t.Errorf("after pool and folder move: pool %v, folder %v, answer %+v", vm.ResourcePool, vm.Parent, r)
	}

	// To the standalone host: another compute resource, so its root pool.
	r = testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "host": "DC0_H0"})
	vm = mustVM(t, e, name)
	if nameOf(t, e, *vm.Runtime.Host) != "DC0_H0" || *vm.ResourcePool != fx.ref(t, "pool", "/DC0/host/DC0_H0/Resources") {
		t.Errorf("after the move to DC0_H0: host %v, pool %v", vm.Runtime.Host, vm.ResourcePool)
	}
	var items []string
	for _, c := range r.Changes {
		items = append(items, c.Item)
	}
	if strings.Join(items, ",") != "host,cluster,resource_pool" {
		t.Errorf("changes %+v", r.Changes)
	}

	// Already there: nothing moves, no task.
	before := fullState(t, e)
	same := testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "host": "DC0_H0", "folder": "/DC0/vm/prod"})
	if same.Changed || same.Task != "" {
		t.Errorf("no-op migration: %+v", same)
	}
	if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Error("a no-op migration changed the inventory")
	}

	// A template moves by folder.
	testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": simulator.TemplateName, "folder": "prod"})
	if tmpl := mustVM(t, e, simulator.TemplateName); *tmpl.Parent != fx.folder {
		t.Errorf("template folder %v", tmpl.Parent)
	}
}

// TestMigrateOnESXi: a standalone host cannot migrate; nothing changes.
func TestMigrateOnESXi(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{ESX: true})
	before := fullState(t, e)
	msg := testenv.CallErr(t, e, "migrate_vm", map[string]any{"name": offVM(t, e), "datastore": "LocalDS_0"})
	if !strings.Contains(msg, "migration needs vCenter") {
		t.Errorf("ESXi: %q", msg)
	}
	if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Error("the refused migration changed the inventory")
	}
}

// TestMigrateBadInput: each refusal says why and nothing moves.
func TestMigrateBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	makeFixtures(t, e)
	twinVM(t, e, "DC0_H0_VM0")
	const vm = "DC0_C0_RP0_VM1"
	cases := vmRefCases("name", map[string]any{"host": "DC0_C0_H1"}, "DC0_H0_VM0")
	cases = append(cases,
		badInput{"nothing to migrate", map[string]any{"name": vm}, []string{"nothing to migrate"}},
		badInput{"unknown host", map[string]any{"name": vm, "host": "esx9"}, []string{`host "esx9" not found`, "DC0_C0_H0"}},
		badInput{"host outside the cluster", map[string]any{"name": vm, "host": "DC0_H0", "cluster": "DC0_C0"}, []string{`host "DC0_H0" is not in cluster "DC0_C0"`}},
		badInput{"unknown cluster", map[string]any{"name": vm, "cluster": "C9"}, []string{`cluster "C9" not found`}},
		badInput{"unknown pool", map[string]any{"name": vm, "resource_pool": "rp-none"}, []string{`resource pool "rp-none" not found`, "rp-test"}},
		badInput{"pool of another cluster", map[string]any{"name": vm, "resource_pool": "rp-test", "host": "DC0_H0"}, []string{"not found in cluster DC0_H0"}},
		badInput{"unknown datastore", map[string]any{"name": vm, "datastore": "ds9"}, []string{`datastore "ds9" not found`, "LocalDS_1"}},
		badInput{"unknown folder", map[string]any{"name": vm, "folder": "nowhere"}, []string{`folder "nowhere" not found`, "/DC0/vm/prod"}},
		badInput{"name taken in the target folder", map[string]any{"name": "/DC0/vm/DC0_H0_VM0", "folder": "twins"}, []string{"already used in folder /DC0/vm/twins"}},
		badInput{"unknown priority", map[string]any{"name": vm, "host": "DC0_C0_H1", "priority": "urgent"}, []string{"priority"}},
		badInput{"template into a pool", map[string]any{"name": simulator.TemplateName, "resource_pool": "rp-test"}, []string{"is a template", "convert_to_vm"}},
	)
	runBadInputs(t, e, "migrate_vm", cases)
}

// TestMigrateStorageReach: a datastore mounted on one host only. A VM moves
// onto it with that host; it cannot then move to a host that does not see
// its files unless datastore moves them too, and nothing moves onto that
// datastore with a host that does not mount it.
func TestMigrateStorageReach(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	ctx := context.Background()
	dss, err := object.NewHostSystem(e.Vim, fx.ref(t, "host", "DC0_C0_H2")).ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dss.CreateLocalDatastore(ctx, "H2-only", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	const name = "DC0_C0_RP0_VM1" // powered off
	r := testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "host": "DC0_C0_H2", "datastore": "H2-only"})
	vm := mustVM(t, e, name)
	if nameOf(t, e, *vm.Runtime.Host) != "DC0_C0_H2" || len(vm.Datastore) != 1 || nameOf(t, e, vm.Datastore[0]) != "H2-only" || !strings.HasPrefix(r.Kind, "cold migration") || !r.Changed {
		t.Fatalf("after the move: host %v, datastores %v, kind %s", vm.Runtime.Host, vm.Datastore, r.Kind)
	}
	runBadInputs(t, e, "migrate_vm", []badInput{
		{"host that does not see the VM's files", map[string]any{"name": name, "host": "DC0_C0_H0"}, []string{"host DC0_C0_H0 does not mount datastore H2-only", "give datastore too"}},
		{"datastore the host does not mount", map[string]any{"name": "DC0_C0_RP0_VM0", "host": "DC0_C0_H1", "datastore": "H2-only"}, []string{`datastore "H2-only" is not usable from host DC0_C0_H1`, "not mounted there"}},
		{"datastore the VM's host does not mount", map[string]any{"name": "DC0_H0_VM1", "datastore": "H2-only"}, []string{"not usable from host DC0_H0"}},
		{"to another cluster with a datastore it does not mount", map[string]any{"name": "DC0_C0_RP0_VM0", "cluster": "DC0_H0", "datastore": "H2-only"}, []string{"not usable from cluster DC0_H0"}},
		{"unknown host with a datastore", map[string]any{"name": name, "host": "esx9", "datastore": "LocalDS_0"}, []string{`host "esx9" not found`}},
		{"pool path of another datacenter's layout", map[string]any{"name": name, "resource_pool": "/DC1/host/C/Resources"}, []string{"not found"}},
		{"folder that is a host folder", map[string]any{"name": name, "folder": "/DC0/host"}, []string{"not found"}},
		{"priority alone", map[string]any{"name": name, "priority": "high"}, []string{"nothing to migrate"}},
		{"cluster and pool that do not fit", map[string]any{"name": name, "cluster": "DC0_H0", "resource_pool": "rp-test"}, []string{"not found in cluster DC0_H0"}},
		{"template to a host without its files", map[string]any{"name": simulator.TemplateName, "host": "DC0_C0_H2", "datastore": "nope"}, []string{`datastore "nope" not found`}},
	})
	// The move back with its files is accepted.
	testenv.CallOK[vsphere.MigrateResult](t, e, "migrate_vm", map[string]any{"name": name, "host": "DC0_C0_H0", "datastore": "LocalDS_0"})
	if vm := mustVM(t, e, name); nameOf(t, e, *vm.Runtime.Host) != "DC0_C0_H0" || nameOf(t, e, vm.Datastore[0]) != "LocalDS_0" {
		t.Errorf("after the move back: host %v, datastores %v", vm.Runtime.Host, vm.Datastore)
	}
}
