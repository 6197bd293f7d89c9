package mcpserver_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestVMStatsSeesReconfigure: a NIC and a disk added to a VM behind the
// server's back (another vCenter user, the vSphere Client) show in its stats
// within the inventory mirror's freshness bound — the new NIC with its
// traffic, label and MAC, the disk through the VM's storage figures (the
// stats report disks as one VM-wide figure, so storage is where a disk shows).
// No fence and no test hook: the server learns of the change from vCenter's
// update stream alone. (The simulator does not announce the storage figures
// a device change recomputes; the fixture announces them, as vCenter does.)
func TestVMStatsSeesReconfigure(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			ctx := context.Background()
			before := getStats(t, e, map[string]any{"name": m.vm})
			vm := object.NewVirtualMachine(e.Vim, vmByName(t, e, m.vm).Self)

			added := addNICDirectly(t, e, m.vm)
			within(t, "the new NIC in the stats", func() bool {
				s := getStats(t, e, map[string]any{"name": m.vm})
				return slices.ContainsFunc(s.Network.NICs, func(n vsphere.NICFigures) bool {
					return n.Instance == added.instance && n.Label == added.label && n.MAC == added.mac && n.RxKBPerSec != nil
				})
			})

			devices, err := vm.Device(ctx)
			if err != nil {
				t.Fatal(err)
			}
			controller, err := devices.FindDiskController("scsi")
			if err != nil {
				t.Fatalf("%s has no SCSI controller: %v", m.vm, err)
			}
			ds := vmByName(t, e, m.vm).Datastore[0]
			disk := devices.CreateDisk(controller, ds, "")
			disk.CapacityInKB = 10 << 20 // 10 GB
			if err := vm.AddDevice(ctx, disk); err != nil {
				t.Fatalf("adding a disk to %s: %v", m.vm, err)
			}
			direct := vmByName(t, e, m.vm)
			if direct.Summary.Storage.Uncommitted <= int64(before.Storage.UncommittedGB*(1<<30)) {
				t.Fatalf("the simulator did not count the new disk: uncommitted %d bytes, before %v GB", direct.Summary.Storage.Uncommitted, before.Storage.UncommittedGB)
			}
			var s *vsphere.VMStats
			within(t, "the new disk in the storage figures", func() bool {
				s = getStats(t, e, map[string]any{"name": m.vm})
				return s.Storage.UncommittedGB >= before.Storage.UncommittedGB+9.99
			})
			checkStorage(t, s.Storage, direct)
			if len(s.Network.NICs) != len(nicKeys(direct)) {
				t.Errorf("per-NIC figures for %d NICs, want %d", len(s.Network.NICs), len(nicKeys(direct)))
			}
		})
	}
}

// addedNIC is what the stats must report of a NIC added directly.
type addedNIC struct{ instance, label, mac string }

// addNICDirectly adds a NIC to a VM through vSphere, not through the server,
// and reads back what vSphere made of it.
func addNICDirectly(t *testing.T, e *testenv.Env, name string) addedNIC {
	t.Helper()
	before := nicKeys(vmByName(t, e, name))
	vm := addNICBehindServer(t, e, name, "VM Network")
	for _, d := range vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok || slices.Contains(before, strconv.Itoa(int(d.GetVirtualDevice().Key))) {
			continue
		}
		c := card.GetVirtualEthernetCard()
		if c.MacAddress == "" || c.DeviceInfo == nil || c.DeviceInfo.GetDescription().Label == "" {
			t.Fatalf("vSphere gave the new NIC no MAC or label: %+v", c)
		}
		return addedNIC{strconv.Itoa(int(c.Key)), c.DeviceInfo.GetDescription().Label, c.MacAddress}
	}
	t.Fatalf("no new NIC on %s", name)
	return addedNIC{}
}
