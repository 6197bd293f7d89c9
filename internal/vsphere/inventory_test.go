package vsphere

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestSnapshotSeesWhatAContainerViewSees: the session's long-lived inventory
// view finds exactly the VMs (with their hosts) that a fresh, independent
// container view finds, on vCenter, ESXi and datacenters nested in folders;
// and every kind of reference resolves back to the same VM.
func TestSnapshotSeesWhatAContainerViewSees(t *testing.T) {
	for _, opts := range []simulator.Options{{}, {ESX: true}, {Nested: true}} {
		sim, _ := startSim(t, opts)
		c := connect(t, sim, -1)
		ctx := context.Background()

		v, err := view.NewManager(c.vim).CreateContainerView(ctx, c.vim.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
		if err != nil {
			t.Fatal(err)
		}
		var direct []mo.VirtualMachine
		if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.host"}, &direct); err != nil {
			t.Fatal(err)
		}
		_ = v.Destroy(ctx)

		inv, err := c.snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.vms) != len(direct) || len(direct) < 3 {
			t.Fatalf("%+v: snapshot has %d VMs, container view %d", opts, len(inv.vms), len(direct))
		}
		byID := map[string]VMSummary{}
		for _, s := range inv.vms {
			byID[s.ID] = s
		}
		for _, vm := range direct {
			s, ok := byID[vm.Self.Value]
			if !ok {
				t.Errorf("%+v: %s missing from the snapshot", opts, vm.Name)
				continue
			}
			if s.Host == "" || s.Cluster == "" || inv.nodes[*vm.Runtime.Host].name != s.Host || !strings.HasSuffix(s.Path, "/"+vm.Name) || !strings.Contains(s.Path, "/vm/") {
				t.Errorf("%+v: %s summarised as %+v", opts, vm.Name, s)
			}
			for _, ref := range []string{s.Name, s.Path, s.ID, s.UUID, s.InstanceUUID} {
				if got, err := c.FindVM(ctx, ref); err != nil || got.ID != s.ID {
					t.Errorf("%+v: FindVM(%q) = %v, %v; want %s", opts, ref, got, err, s.ID)
				}
			}
		}
		for _, ref := range []string{"no-such-vm", "/DC0/vm/nothing", "vm-99999", "00000000-0000-0000-0000-000000000000"} {
			var nf *NotFoundError
			if _, err := c.FindVM(ctx, ref); !errors.As(err, &nf) {
				t.Errorf("FindVM(%q): %v, want NotFoundError", ref, err)
			}
		}
	}
}
