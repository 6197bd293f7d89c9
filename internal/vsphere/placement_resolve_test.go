package vsphere

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestResolvePlacementRules: start-up resolution, which runs before any
// Defaults exist, follows the rules create_vm applies — one implementation —
// wherever the datacenter sits, and costs one property retrieval.
func TestResolvePlacementRules(t *testing.T) {
	tests := []struct {
		name    string
		opts    simulator.Options
		setup   func(t *testing.T, sim *simulator.Simulator)
		names   PlacementNames
		compute string // wanted compute resource; "" when an error is wanted
		network string
		wantErr []string
	}{
		{"defaults", simulator.Options{}, nil, PlacementNames{Network: "VM Network"}, "DC0_C0", "VM Network", nil},
		{"defaults, datacenter in a folder", simulator.Options{Nested: true}, nil, PlacementNames{Network: "VM Network"}, "DC0_C0", "VM Network", nil},
		{"named, datacenter in a folder", simulator.Options{Nested: true}, nil, PlacementNames{Datacenter: "DC0", Cluster: "DC0_H0", Network: "VM Network"}, "DC0_H0", "VM Network", nil},
		{"standalone ESXi", simulator.Options{ESX: true}, nil, PlacementNames{Network: "VM Network"}, "localhost.localdomain", "VM Network", nil},
		{"distributed port group", simulator.Options{}, nil, PlacementNames{Network: "DC0_DVPG0"}, "DC0_C0", "DC0_DVPG0", nil},
		{"opaque network, as create_vm accepts it", simulator.Options{}, nil, PlacementNames{Network: "DC0_NSX0"}, "DC0_C0", "DC0_NSX0", nil},
		{"no network configured", simulator.Options{}, nil, PlacementNames{}, "DC0_C0", "", nil},
		{"an uplink port group is not for VMs", simulator.Options{}, markUplink, PlacementNames{Network: "DVS0-DVUplinks-8"}, "", "",
			[]string{`network "DVS0-DVUplinks-8" not found`, "DC0_DVPG0", "VM Network"}},
		{"unknown datacenter, in a folder", simulator.Options{Nested: true}, nil, PlacementNames{Datacenter: "DC9"}, "", "",
			[]string{`datacenter "DC9" not found; available: DC0`}},
		{"unknown cluster", simulator.Options{}, nil, PlacementNames{Cluster: "C9"}, "", "",
			[]string{`cluster "C9" not found in datacenter DC0; available: DC0_C0, DC0_H0`}},
		{"datastore not mounted on the cluster", simulator.Options{}, mountH0Only, PlacementNames{Cluster: "DC0_C0", Datastore: "H0_only"}, "", "",
			[]string{`datastore "H0_only" is not usable from cluster DC0_C0 (not mounted there)`, "usable: LocalDS_0, LocalDS_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, counter := startSim(t, tt.opts)
			c := connect(t, sim, -1)
			ctx := context.Background()
			if tt.setup != nil {
				tt.setup(t, sim)
			}
			before := counter.get("RetrievePropertiesEx")
			p, err := c.ResolvePlacement(ctx, tt.names)
			if got := counter.get("RetrievePropertiesEx") - before; got != 1 {
				t.Errorf("start-up resolution made %d property retrievals, want 1", got)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("resolved %+v, want an error", p)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Compute.Name != tt.compute || p.Network.Name != tt.network || p.Datacenter.IsZero() ||
				p.VMFolder.IsZero() || p.HostFolder.IsZero() || p.ResourcePool.IsZero() || p.Datastore.IsZero() {
				t.Errorf("placement %+v, want compute %s and network %q", p, tt.compute, tt.network)
			}
			if p.Network.Name != "" && p.Network.Ref.Value == "" {
				t.Errorf("network %s has no reference", p.Network.Name)
			}
			// What start-up chose is what create_vm resolves by default.
			c.Defaults = p
			pi, err := c.placement(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tgt, err := pi.resolveTarget(PlacementArgs{}, targetDefaults{}, p)
			if err != nil {
				t.Fatalf("create_vm's default target: %v", err)
			}
			if tgt.compute.ref != p.Compute.Ref || tgt.pool != p.ResourcePool.Ref || tgt.folder != p.VMFolder.Ref || tgt.datastore != p.Datastore {
				t.Errorf("create_vm's default target %+v differs from the start-up placement %+v", tgt, p)
			}
		})
	}
}

// TestDuplicateClusterNames: a cluster name used twice in one datacenter (in
// different host folders) is never guessed, at start or in create_vm.
func TestDuplicateClusterNames(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	c := connect(t, sim, -1)
	ctx := context.Background()
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := find.NewFinder(vc)
	dc, err := f.Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := folders.HostFolder.CreateFolder(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	twin, err := sub.CreateCluster(ctx, "DC0_C0", types.ClusterConfigSpecEx{})
	if err != nil {
		t.Fatalf("creating a second DC0_C0: %v", err)
	}

	_, err = c.ResolvePlacement(ctx, PlacementNames{Cluster: "DC0_C0"})
	if err == nil || !strings.Contains(err.Error(), `cluster name "DC0_C0" matches 2 objects in datacenter DC0`) ||
		!strings.Contains(err.Error(), twin.Reference().Value) {
		t.Fatalf("start-up with a duplicate cluster name: %v", err)
	}
	if c.Defaults, err = c.ResolvePlacement(ctx, PlacementNames{}); err != nil {
		t.Fatal(err)
	}
	pi, err := c.placement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pi.resolveTarget(PlacementArgs{Cluster: "DC0_C0"}, targetDefaults{}, c.Defaults); err == nil || !strings.Contains(err.Error(), "matches 2 objects") {
		t.Errorf("create_vm with a duplicate cluster name: %v", err)
	}
}

// markUplink makes DVS0's uplink port group say so, as vCenter's do (the
// simulator leaves config.uplink unset).
func markUplink(t *testing.T, sim *simulator.Simulator) {
	t.Helper()
	m := sim.Model()
	for _, obj := range m.Map().All("DistributedVirtualPortgroup") {
		if obj.Entity().Name == "DVS0-DVUplinks-8" {
			ctx := m.Service.Context
			ctx.Map.AtomicUpdate(ctx, obj, []types.PropertyChange{{Name: "config.uplink", Val: true}})
			return
		}
	}
	t.Fatal("the simulator has no DVS0-DVUplinks-8")
}

// mountH0Only creates a datastore H0_only, through vSphere, on the standalone
// host DC0_H0 only; no host of cluster DC0_C0 mounts it.
func mountH0Only(t *testing.T, sim *simulator.Simulator) {
	t.Helper()
	ctx := context.Background()
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	host, err := find.NewFinder(vc).HostSystem(ctx, "/DC0/host/DC0_H0/DC0_H0")
	if err != nil {
		t.Fatal(err)
	}
	dss, err := host.ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dss.CreateLocalDatastore(ctx, "H0_only", t.TempDir()); err != nil {
		t.Fatalf("creating datastore H0_only: %v", err)
	}
}
