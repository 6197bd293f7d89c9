package mcpserver_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// placementRequests records the host each CreateVM_Task and CloneVM_Task
// request carried ("" when none), as the simulator received them.
type placementRequests struct {
	mu    sync.Mutex
	hosts map[string][]string // by method
}

var hostElement = regexp.MustCompile(`<host[^>]*>([^<]*)</host>`)

func (p *placementRequests) observe(method string, body []byte) {
	if method != "CreateVM_Task" && method != "CloneVM_Task" {
		return
	}
	host := ""
	if m := hostElement.FindSubmatch(body); m != nil {
		host = string(m[1])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hosts == nil {
		p.hosts = map[string][]string{}
	}
	p.hosts[method] = append(p.hosts[method], host)
}

func (p *placementRequests) last(t *testing.T, method string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hosts[method]) == 0 {
		t.Fatalf("no %s request reached vSphere", method)
	}
	return p.hosts[method][len(p.hosts[method])-1]
}

// drsLessCluster turns cluster DC0_C0 into what a vCenter without DRS
// licences commonly has, through the vSphere API: DRS off, DC0_C0_H0 in
// maintenance mode, DC0_C0_H1 disconnected, and a host-local datastore
// H2_local on DC0_C0_H2 with more free space than the shared ones. (The
// simulator places a VM without a host on a random host of the cluster; a
// real vCenter refuses CreateVM_Task and CloneVM_Task without a host on a
// cluster without DRS: the tests check the requests.)
func drsLessCluster(t *testing.T, e *testenv.Env) map[string]types.ManagedObjectReference {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(e.Vim)
	cluster, err := finder.ClusterComputeResource(ctx, "/DC0/host/DC0_C0")
	if err != nil {
		t.Fatal(err)
	}
	task, err := cluster.Reconfigure(ctx, &types.ClusterConfigSpecEx{DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(false)}}, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("turning DRS off: %v", err)
	}
	hosts := map[string]types.ManagedObjectReference{}
	for _, name := range []string{"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"} {
		h, err := finder.HostSystem(ctx, "/DC0/host/DC0_C0/"+name)
		if err != nil {
			t.Fatal(err)
		}
		hosts[name] = h.Reference()
	}
	wait := func(task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wait(object.NewHostSystem(e.Vim, hosts["DC0_C0_H0"]).EnterMaintenanceMode(ctx, 0, false, nil))
	wait(object.NewHostSystem(e.Vim, hosts["DC0_C0_H1"]).Disconnect(ctx))
	dss, err := object.NewHostSystem(e.Vim, hosts["DC0_C0_H2"]).ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dss.CreateLocalDatastore(ctx, "H2_local", t.TempDir()); err != nil {
		t.Fatalf("creating H2_local on DC0_C0_H2: %v", err)
	}
	setDatastore(t, e, "H2_local", freeSpace(900))
	setDatastore(t, e, "LocalDS_0", freeSpace(300))
	setDatastore(t, e, "LocalDS_1", freeSpace(200))
	return hosts
}

// vmPlacement reads a VM's host and vmx path directly.
func vmPlacement(t *testing.T, e *testenv.Env, id string) (host types.ManagedObjectReference, vmx string) {
	t.Helper()
	var vm mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref, []string{"runtime.host", "config.files.vmPathName"}, &vm); err != nil {
		t.Fatalf("reading %s: %v", id, err)
	}
	if vm.Runtime.Host == nil || vm.Config == nil {
		t.Fatalf("%s has no host or configuration", id)
	}
	return *vm.Runtime.Host, vm.Config.Files.VmPathName
}

// TestPlacementWithoutDRS: on a cluster without DRS, create_vm and clone_vm
// name a host in the request — connected, not in maintenance mode, mounting
// the datastore — and the default datastore is a shared one, a host-local one
// only when nothing else is usable, with a note saying so. With DRS the host
// is left to vCenter. When no host can take the VM, nothing is created.
func TestPlacementWithoutDRS(t *testing.T) {
	t.Run("shared datastore, the usable host", func(t *testing.T) {
		var reqs placementRequests
		e := testenv.New(t, testenv.Options{OnSOAPRequest: reqs.observe})
		hosts := drsLessCluster(t, e)
		vm := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "nodrs-1", "cpu": 1, "memory": 128})
		if got := reqs.last(t, "CreateVM_Task"); got != hosts["DC0_C0_H2"].Value {
			t.Errorf("CreateVM_Task carried host %q, want %s (DC0_C0_H2, the only usable host)", got, hosts["DC0_C0_H2"].Value)
		}
		host, vmx := vmPlacement(t, e, vm.ID)
		if host != hosts["DC0_C0_H2"] || !strings.HasPrefix(vmx, "[LocalDS_0] ") {
			t.Errorf("VM on %s with files %s; want DC0_C0_H2 and the shared LocalDS_0 (most free space of the shared ones)", host.Value, vmx)
		}
		wantNote(t, vm.Notes, "placed on host DC0_C0_H2", "DRS off")

		clone := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": simulator.TemplateName, "new_name": "nodrs-clone"})
		if got := reqs.last(t, "CloneVM_Task"); got != hosts["DC0_C0_H2"].Value {
			t.Errorf("CloneVM_Task carried host %q, want %s", got, hosts["DC0_C0_H2"].Value)
		}
		if host, _ := vmPlacement(t, e, clone.VM.ID); host != hosts["DC0_C0_H2"] {
			t.Errorf("clone on %s, want DC0_C0_H2", host.Value)
		}
	})

	t.Run("only a host-local datastore is usable", func(t *testing.T) {
		var reqs placementRequests
		e := testenv.New(t, testenv.Options{OnSOAPRequest: reqs.observe})
		hosts := drsLessCluster(t, e)
		setDatastore(t, e, "LocalDS_0", inaccessible)
		setDatastore(t, e, "LocalDS_1", inMaintenance)
		vm := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "nodrs-local", "cpu": 1, "memory": 128})
		host, vmx := vmPlacement(t, e, vm.ID)
		if host != hosts["DC0_C0_H2"] || !strings.HasPrefix(vmx, "[H2_local] ") {
			t.Errorf("VM on %s with files %s; want DC0_C0_H2 and H2_local", host.Value, vmx)
		}
		wantNote(t, vm.Notes, "H2_local is local to DC0_C0_H2", "only choice")
	})

	t.Run("no host can take the VM", func(t *testing.T) {
		var reqs placementRequests
		e := testenv.New(t, testenv.Options{OnSOAPRequest: reqs.observe})
		hosts := drsLessCluster(t, e)
		task, err := object.NewHostSystem(e.Vim, hosts["DC0_C0_H2"]).EnterMaintenanceMode(context.Background(), 0, false, nil)
		if err == nil {
			err = task.Wait(context.Background())
		}
		if err != nil {
			t.Fatal(err)
		}
		before, files := inventory(t, e), simulatorFiles(t, e)
		msg := testenv.CallErr(t, e, "create_vm", map[string]any{"name": "nodrs-none", "cpu": 1, "memory": 128, "cluster": "DC0_C0"})
		for _, want := range []string{"DC0_C0_H0 is in maintenance mode", "DC0_C0_H1 is disconnected", "DC0_C0_H2 is in maintenance mode"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if after := inventory(t, e); !slices.Equal(before, after) {
			t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
		}
		if after := simulatorFiles(t, e); !slices.Equal(files, after) {
			t.Errorf("files changed:\nbefore %v\nafter  %v", files, after)
		}
		if msg := testenv.CallErr(t, e, "create_vm", map[string]any{"name": "nodrs-h0", "cpu": 1, "memory": 128, "host": "DC0_C0_H1"}); !strings.Contains(msg, "DC0_C0_H1 is disconnected") {
			t.Errorf("an unusable host named explicitly: %q", msg)
		}
	})

	t.Run("DRS on: vCenter chooses the host; the datastore is still a shared one", func(t *testing.T) {
		var reqs placementRequests
		e := testenv.New(t, testenv.Options{OnSOAPRequest: reqs.observe})
		ctx := context.Background()
		h2, err := find.NewFinder(e.Vim).HostSystem(ctx, "/DC0/host/DC0_C0/DC0_C0_H2")
		if err != nil {
			t.Fatal(err)
		}
		dss, err := h2.ConfigManager().DatastoreSystem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dss.CreateLocalDatastore(ctx, "H2_local", t.TempDir()); err != nil {
			t.Fatal(err)
		}
		setDatastore(t, e, "H2_local", freeSpace(900))
		vm := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "drs-1", "cpu": 1, "memory": 128})
		if got := reqs.last(t, "CreateVM_Task"); got != "" {
			t.Errorf("CreateVM_Task carried host %q on a DRS cluster, want none", got)
		}
		if _, vmx := vmPlacement(t, e, vm.ID); strings.HasPrefix(vmx, "[H2_local] ") {
			t.Errorf("files %s on the host-local datastore while shared ones are usable", vmx)
		}
	})
}

func wantNote(t *testing.T, notes []string, want ...string) {
	t.Helper()
	all := strings.Join(notes, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("notes do not say %q:\n%s", w, all)
		}
	}
}
