package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

const gb = int64(1) << 30

// setDatastore changes a datastore's state inside the simulator, as vSphere
// would report it after an outage, a maintenance or a change of free space
// (announced as the whole summary: see simulator.SetDatastoreSummary).
func setDatastore(t *testing.T, e *testenv.Env, name string, changes ...func(*types.DatastoreSummary)) {
	t.Helper()
	err := e.Sim.SetDatastoreSummary(name, func(s *types.DatastoreSummary) {
		for _, change := range changes {
			change(s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func freeSpace(n int64) func(*types.DatastoreSummary) {
	return func(s *types.DatastoreSummary) { s.FreeSpace = n * gb }
}

func inaccessible(s *types.DatastoreSummary) { s.Accessible = false }

func inMaintenance(s *types.DatastoreSummary) {
	s.MaintenanceMode = string(types.DatastoreSummaryMaintenanceModeStateInMaintenance)
}

func enteringMaintenance(s *types.DatastoreSummary) {
	s.MaintenanceMode = string(types.DatastoreSummaryMaintenanceModeStateEnteringMaintenance)
}

// mountOnStandaloneHost creates a datastore through vSphere on the standalone
// host DC0_H0 only: it is not mounted on any host of cluster DC0_C0.
func mountOnStandaloneHost(t *testing.T, e *testenv.Env, name string) {
	t.Helper()
	ctx := context.Background()
	host, err := find.NewFinder(e.Vim).HostSystem(ctx, "/DC0/host/DC0_H0/DC0_H0")
	if err != nil {
		t.Fatal(err)
	}
	dss, err := host.ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dss.CreateLocalDatastore(ctx, name, t.TempDir()); err != nil {
		t.Fatalf("creating datastore %s on DC0_H0: %v", name, err)
	}
}

// TestDefaultDatastore: the default datastore is the usable one with most free
// space that the chosen compute resource reaches (SPEC §2); one that is
// inaccessible, in maintenance, or not mounted there is never chosen, however
// much space it has (SPEC §3). Each case runs through start-up resolution and
// through create_vm without a datastore, whose files are then looked up in vSphere.
func TestDefaultDatastore(t *testing.T) {
	tests := []struct {
		name    string
		cluster string // configured cluster; "" is the default, DC0_C0
		setup   func(t *testing.T, e *testenv.Env)
		want    string   // the datastore chosen
		host    string   // a host of the chosen compute resource
		wantErr []string // when no datastore is usable
	}{
		{"most free space: LocalDS_0", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(300))
			setDatastore(t, e, "LocalDS_1", freeSpace(200))
		}, "LocalDS_0", "DC0_C0_H0", nil},
		{"most free space: LocalDS_1", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(200))
			setDatastore(t, e, "LocalDS_1", freeSpace(300))
		}, "LocalDS_1", "DC0_C0_H1", nil},
		{"largest is inaccessible", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(300), inaccessible)
			setDatastore(t, e, "LocalDS_1", freeSpace(200))
		}, "LocalDS_1", "DC0_C0_H0", nil},
		{"largest is in maintenance", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(200))
			setDatastore(t, e, "LocalDS_1", freeSpace(300), inMaintenance)
		}, "LocalDS_0", "DC0_C0_H2", nil},
		{"largest is entering maintenance", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(300), enteringMaintenance)
			setDatastore(t, e, "LocalDS_1", freeSpace(200))
		}, "LocalDS_1", "DC0_C0_H0", nil},
		{"largest is not mounted on the cluster's hosts", "", func(t *testing.T, e *testenv.Env) {
			mountOnStandaloneHost(t, e, "H0_only")
			setDatastore(t, e, "H0_only", freeSpace(900))
			setDatastore(t, e, "LocalDS_0", freeSpace(200))
			setDatastore(t, e, "LocalDS_1", freeSpace(300))
		}, "LocalDS_1", "DC0_C0_H1", nil},
		{"largest is mounted on the configured compute resource", "DC0_H0", func(t *testing.T, e *testenv.Env) {
			mountOnStandaloneHost(t, e, "H0_only")
			setDatastore(t, e, "H0_only", freeSpace(900))
			setDatastore(t, e, "LocalDS_0", freeSpace(200))
			setDatastore(t, e, "LocalDS_1", freeSpace(300))
		}, "H0_only", "DC0_H0", nil},
		{"none usable", "", func(t *testing.T, e *testenv.Env) {
			setDatastore(t, e, "LocalDS_0", freeSpace(300), inaccessible)
			setDatastore(t, e, "LocalDS_1", freeSpace(200), inMaintenance)
		}, "", "DC0_C0_H0", []string{"no usable datastore", "DC0_C0", "LocalDS_0 is inaccessible", "LocalDS_1 is in maintenance mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testenv.New(t, testenv.Options{})
			tt.setup(t, e)
			ctx := context.Background()

			// Start-up resolution, as the server does it before serving.
			p, err := e.VS.ResolvePlacement(ctx, vsphere.PlacementNames{Cluster: tt.cluster, Network: config.DefaultNetwork, NetworkDefaulted: true})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("start-up resolution chose %s, want an error", p.Datastore.Name)
				}
				wantMentions(t, "start-up resolution", err.Error(), tt.wantErr)
				// A server that started before the outage: create_vm refuses, and creates nothing.
				for _, args := range []map[string]any{newVM("dd-default"), newVM("dd-host", "host", tt.host)} {
					wantMentions(t, "create_vm", testenv.CallErr(t, e, "create_vm", args), tt.wantErr)
					if slices.ContainsFunc(e.VMs(t, "name"), func(vm mo.VirtualMachine) bool { return vm.Name == args["name"] }) {
						t.Errorf("create_vm failed but %s exists in vSphere", args["name"])
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("start-up resolution: %v", err)
			}
			want := datastoreRef(t, e, tt.want)
			if p.Datastore.Name != tt.want || p.Datastore.Ref != want {
				t.Fatalf("start-up resolution chose %s (%s), want %s (%s)", p.Datastore.Name, p.Datastore.Ref.Value, tt.want, want.Value)
			}
			if tt.cluster != "" && p.Compute.Name != tt.cluster {
				t.Errorf("start-up resolution chose compute %s, want %s", p.Compute.Name, tt.cluster)
			}
			e.VS.Defaults = p // the placement of a server started now

			// create_vm without a datastore: with the start-up default, and
			// with a host, where create_vm applies the rule itself.
			for _, args := range []map[string]any{newVM("dd-default"), newVM("dd-host", "host", tt.host)} {
				out := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", args)
				wantFilesOn(t, e, out.ID, tt.want, want)
			}
		})
	}
}

func newVM(name string, kv ...string) map[string]any {
	args := map[string]any{"name": name, "cpu": 1, "memory": 128, "disk_gb": 1}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i]] = kv[i+1]
	}
	return args
}

func wantMentions(t *testing.T, what, msg string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s error %q does not mention %q", what, msg, w)
		}
	}
}

// datastoreRef looks a datastore up by name directly in vSphere.
func datastoreRef(t *testing.T, e *testenv.Env, name string) types.ManagedObjectReference {
	t.Helper()
	var stores []mo.Datastore
	retrieveAll(t, e, "Datastore", []string{"name"}, &stores)
	i := slices.IndexFunc(stores, func(ds mo.Datastore) bool { return ds.Name == name })
	if i < 0 {
		t.Fatalf("no datastore %s in vSphere", name)
	}
	return stores[i].Self
}

// wantFilesOn reads a VM directly from vSphere and checks that its
// configuration file and its disk are on the datastore ds.
func wantFilesOn(t *testing.T, e *testenv.Env, id, name string, ds types.ManagedObjectReference) {
	t.Helper()
	var vm mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref,
		[]string{"name", "datastore", "config.files.vmPathName", "config.hardware.device"}, &vm); err != nil {
		t.Fatalf("reading %s from vSphere: %v", id, err)
	}
	if !strings.HasPrefix(vm.Config.Files.VmPathName, "["+name+"] ") || !slices.Equal(vm.Datastore, []types.ManagedObjectReference{ds}) {
		t.Errorf("%s in vSphere: files %s on datastores %v, want them on %s (%s)", vm.Name, vm.Config.Files.VmPathName, vm.Datastore, name, ds.Value)
	}
	disks := 0
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			disks++
			b, _ := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
			if b == nil || b.GetVirtualDeviceFileBackingInfo().Datastore == nil || *b.GetVirtualDeviceFileBackingInfo().Datastore != ds {
				t.Errorf("%s in vSphere: a disk is not on %s: %+v", vm.Name, name, disk.Backing)
			}
		}
	}
	if disks != 1 {
		t.Errorf("%s in vSphere has %d disks, want 1", vm.Name, disks)
	}
}

// TestDefaultDatastoreFollowsFreeSpace: with no datastore configured, each
// create_vm applies the rule anew, so the VM goes where there is most free space
// now, not where there was at start-up; a configured datastore always wins.
func TestDefaultDatastoreFollowsFreeSpace(t *testing.T) {
	for _, configured := range []bool{false, true} {
		names := vsphere.PlacementNames{Network: "VM Network"}
		if configured {
			names.Datastore = "LocalDS_0"
		}
		e := testenv.New(t, testenv.Options{Placement: &names})
		setDatastore(t, e, "LocalDS_0", freeSpace(500<<30))
		setDatastore(t, e, "LocalDS_1", freeSpace(100<<30))
		first := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", newVM("dd-first"))
		wantFilesOn(t, e, first.ID, "LocalDS_0", datastoreRef(t, e, "LocalDS_0"))

		setDatastore(t, e, "LocalDS_1", freeSpace(900<<30)) // LocalDS_1 now has the most room
		second := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", newVM("dd-second"))
		want := "LocalDS_1"
		if configured {
			want = "LocalDS_0"
		}
		wantFilesOn(t, e, second.ID, want, datastoreRef(t, e, want))
	}
}
