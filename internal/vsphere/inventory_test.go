package vsphere

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestMirrorSeesWhatAContainerViewSees: the session's inventory mirror holds
// exactly the VMs (with their hosts) that a fresh, independent container view
// finds, on vCenter, ESXi and datacenters nested in folders; and every kind of
// reference resolves back to the same VM.
func TestMirrorSeesWhatAContainerViewSees(t *testing.T) {
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

		list, err := c.ListVMs(ctx, ListFilter{IncludeTemplates: true}, MaxListLimit, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(list.VMs) != len(direct) || len(direct) < 3 {
			t.Fatalf("%+v: mirror has %d VMs, container view %d", opts, len(list.VMs), len(direct))
		}
		byID := map[string]VMSummary{}
		for _, s := range list.VMs {
			byID[s.ID] = s
		}
		for _, vm := range direct {
			s, ok := byID[vm.Self.Value]
			if !ok {
				t.Errorf("%+v: %s missing from the snapshot", opts, vm.Name)
				continue
			}
			if s.Host == "" || s.Cluster == "" || s.Name != vm.Name || !strings.HasSuffix(s.Path, "/"+vm.Name) || !strings.Contains(s.Path, "/vm/") {
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

// TestReferenceKindsAreAmbiguousTogether: a VM named like another VM's id is
// ambiguous whichever way it is meant (on ESXi ids are plain numbers, so a VM
// named "42" is a real risk), and the error says how each candidate matched.
func TestReferenceKindsAreAmbiguousTogether(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	c := connect(t, sim, -1)
	ctx := context.Background()
	list, err := c.ListVMs(ctx, ListFilter{}, MaxListLimit, "")
	if err != nil || len(list.VMs) < 2 {
		t.Fatalf("list: %v", err)
	}
	target, other := list.VMs[0], list.VMs[1]
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	task, err := object.NewVirtualMachine(vc, other.Ref()).Rename(ctx, target.ID)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mirror().Fence(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.FindVM(ctx, target.ID)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Fatalf("FindVM(%q) = %v, want an AmbiguousError with 2 candidates", target.ID, err)
	}
	for _, want := range []string{"matched by id", "matched by name", target.Path, "inventory path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// The paths in the error resolve, each to its own VM.
	for _, cand := range amb.Candidates {
		if v, err := c.FindVM(ctx, cand.Path); err != nil || v.ID != cand.ID {
			t.Errorf("FindVM(%s) = %v, %v; want %s", cand.Path, v, err, cand.ID)
		}
	}
}
