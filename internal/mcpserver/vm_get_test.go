package mcpserver_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

type vmDetail struct {
	ID, Name, Path, Host, Cluster string
	PowerState                    string `json:"power_state"`
	CPUs                          int32  `json:"cpus"`
	MemoryMB                      int32  `json:"memory_mb"`
	CoresPerSocket                int32  `json:"cores_per_socket"`
	GuestID                       string `json:"guest_id"`
	ToolsRunningStatus            string `json:"tools_running_status"`
	ResourcePool                  string `json:"resource_pool"`
	Folder                        string
	Datastores                    []string
	Annotation                    string
	VMXPath                       string `json:"vmx_path"`
	Disks                         []struct {
		File, Datastore string
		CapacityGB      float64 `json:"capacity_gb"`
		Thin            bool
	}
	NICs []struct {
		Network, MAC string
		NetworkKind  string `json:"network_kind"`
		Connected    bool
	}
	Snapshots []struct {
		ID, Name, Path, Parent string
		Current                bool
	}
	CurrentSnapshot string `json:"current_snapshot"`
}

func TestGetVM(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	const name = "DC0_C0_RP0_VM0"
	vmObj := object.NewVirtualMachine(e.Vim, mustVM(t, e, name).Self)
	for _, snap := range []string{"base", "patched"} {
		task, err := vmObj.CreateSnapshot(ctx, snap, "", false, false)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	task, err := vmObj.Reconfigure(ctx, types.VirtualMachineConfigSpec{Annotation: "owner: web team"})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	setToolsRunning(t, e, name)
	vm := mustVM(t, e, name)

	for _, ref := range []string{name, "/DC0/vm/" + name, vm.Self.Value, vm.Config.Uuid, vm.Config.InstanceUuid} {
		t.Run(ref, func(t *testing.T) {
			d := testenv.CallOK[vmDetail](t, e, "get_vm", map[string]any{"name": ref})
			if d.ID != vm.Self.Value || d.Name != name || d.Path != "/DC0/vm/"+name || d.Folder != "/DC0/vm" {
				t.Errorf("identity %s %s %s %s", d.ID, d.Name, d.Path, d.Folder)
			}
			if d.CPUs != vm.Config.Hardware.NumCPU || d.MemoryMB != vm.Config.Hardware.MemoryMB || d.GuestID != vm.Config.GuestId {
				t.Errorf("hardware %+v", d)
			}
			if d.PowerState != string(vm.Runtime.PowerState) || d.ToolsRunningStatus != "guestToolsRunning" || d.Annotation != "owner: web team" {
				t.Errorf("state %s tools %s annotation %q", d.PowerState, d.ToolsRunningStatus, d.Annotation)
			}
			if d.Host != nameOf(t, e, *vm.Runtime.Host) || d.Cluster != "DC0_C0" || d.ResourcePool != "/DC0/host/DC0_C0/Resources" {
				t.Errorf("placement host %s cluster %s pool %s", d.Host, d.Cluster, d.ResourcePool)
			}
			if d.VMXPath != vm.Config.Files.VmPathName || len(d.Datastores) != len(vm.Datastore) || d.Datastores[0] != nameOf(t, e, vm.Datastore[0]) {
				t.Errorf("files %s datastores %v", d.VMXPath, d.Datastores)
			}
			var disks, nics int
			for _, dev := range vm.Config.Hardware.Device {
				switch dev := dev.(type) {
				case *types.VirtualDisk:
					b := dev.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
					if disks >= len(d.Disks) || d.Disks[disks].File != b.FileName || d.Disks[disks].Thin != (b.ThinProvisioned != nil && *b.ThinProvisioned) ||
						d.Disks[disks].CapacityGB != float64(dev.CapacityInKB)/(1<<20) {
						t.Errorf("disk %d: %+v vs %s", disks, d.Disks, b.FileName)
					}
					disks++
				case types.BaseVirtualEthernetCard:
					c := dev.GetVirtualEthernetCard()
					pg := c.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
					want := portgroupName(t, e, vm.Network, pg.Port.PortgroupKey)
					if nics >= len(d.NICs) || d.NICs[nics].Network != want || d.NICs[nics].MAC != c.MacAddress || d.NICs[nics].NetworkKind != "distributed" {
						t.Errorf("nic %d: %+v, want network %s", nics, d.NICs, want)
					}
					nics++
				}
			}
			if disks != len(d.Disks) || nics != len(d.NICs) || disks == 0 || nics == 0 {
				t.Errorf("%d disks and %d NICs in vSphere, %d and %d in the answer", disks, nics, len(d.Disks), len(d.NICs))
			}
			s := d.Snapshots
			if len(s) != 2 || s[0].Name != "base" || s[1].Name != "patched" || s[1].Parent != s[0].ID || s[1].Path != "base/patched" ||
				!s[1].Current || s[0].Current || d.CurrentSnapshot != vm.Snapshot.CurrentSnapshot.Value {
				t.Errorf("snapshot tree %+v, current %s", s, d.CurrentSnapshot)
			}
		})
	}
}

// portgroupName finds, among a VM's networks, the distributed port group with this key.
func portgroupName(t *testing.T, e *testenv.Env, nets []types.ManagedObjectReference, key string) string {
	t.Helper()
	for _, n := range nets {
		if n.Type != "DistributedVirtualPortgroup" {
			continue
		}
		var pg mo.DistributedVirtualPortgroup
		if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), n, []string{"name", "key"}, &pg); err != nil {
			t.Fatal(err)
		}
		if pg.Key == key {
			return pg.Name
		}
	}
	t.Fatalf("no port group with key %s among %v", key, nets)
	return ""
}
