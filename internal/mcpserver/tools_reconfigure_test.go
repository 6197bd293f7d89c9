package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

func label(d types.BaseVirtualDevice) string {
	if di := d.GetVirtualDevice().DeviceInfo; di != nil {
		return di.GetDescription().Label
	}
	return ""
}

func changeOf(r vsphere.ReconfigureResult, item string) *vsphere.Change {
	for i := range r.Changes {
		if r.Changes[i].Item == item {
			return &r.Changes[i]
		}
	}
	return nil
}

// offVM is a powered-off VM that is not a template.
func offVM(t *testing.T, e *testenv.Env) string {
	t.Helper()
	for _, v := range e.VMs(t, "name", "runtime.powerState", "config.template") {
		if v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff && !v.Config.Template {
			return v.Name
		}
	}
	t.Fatal("no powered-off VM")
	return ""
}

// TestReconfigureVM changes everything reconfigure_vm can change on a
// powered-off VM in one call, on the vCenter and the ESXi models, and checks
// each change in vSphere; then ejects the ISO, and repeats a call that changes nothing.
func TestReconfigureVM(t *testing.T) {
	t.Parallel()
	for _, esx := range []bool{false, true} {
		t.Run(map[bool]string{false: "vCenter", true: "ESXi"}[esx], func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Options{ESX: esx})
			name := offVM(t, e)
			dss := datastoresOf(t, e)
			diskDS := dss[len(dss)-1].Name
			iso := putISO(t, e, dss[0].Name, "iso/install.iso")
			vm := mustVM(t, e, name)
			disks := devicesOfVM[*types.VirtualDisk](t, e, name)
			nics := nicsOf(t, e, name)
			if len(disks) == 0 || len(nics) == 0 {
				t.Fatalf("%s has %d disks and %d NICs; the test needs one of each", name, len(disks), len(nics))
			}
			grow := int(disks[0].CapacityInKB>>20) + 1
			renamed := name + "-renamed"

			r := testenv.CallOK[vsphere.ReconfigureResult](t, e, "reconfigure_vm", map[string]any{
				"name": name, "cpu": 4, "cores_per_socket": 2, "memory": 2048, "annotation": "patched on day 2", "new_name": renamed,
				"add_disk_gb": 2, "add_disk_datastore": diskDS, "add_disk_provisioning": "thick",
				"grow_disk": label(disks[0]), "grow_disk_gb": grow,
				"add_nic_network": "VM Network", "nic": label(nics[0]), "nic_connected": false,
				"iso": iso,
			})
			if !r.Changed || r.Task == "" || r.VM.Name != renamed {
				t.Fatalf("answer: %+v", r)
			}
			if vmNamed(t, e, name) != nil {
				t.Fatalf("%s still has its old name", name)
			}
			after := mustVM(t, e, renamed)
			if after.Self != vm.Self {
				t.Fatalf("the renamed VM is %s, want %s", after.Self.Value, vm.Self.Value)
			}
			hw := after.Config.Hardware
			if hw.NumCPU != 4 || hw.NumCoresPerSocket == nil || *hw.NumCoresPerSocket != 2 || hw.MemoryMB != 2048 || after.Config.Annotation != "patched on day 2" {
				t.Errorf("vSphere: cpu %d, cores %v, memory %d, notes %q", hw.NumCPU, hw.NumCoresPerSocket, hw.MemoryMB, after.Config.Annotation)
			}
			if c := changeOf(r, "cpu"); c == nil || c.Before != "1" || c.After != "4" {
				t.Errorf("cpu change: %+v (changes %+v)", c, r.Changes)
			}
			if c := changeOf(r, "memory_mb"); c == nil || c.After != "2048" {
				t.Errorf("memory change: %+v", c)
			}

			newDisks := devicesOfVM[*types.VirtualDisk](t, e, renamed)
			if len(newDisks) != len(disks)+1 {
				t.Fatalf("disks: %d, want %d", len(newDisks), len(disks)+1)
			}
			for _, d := range newDisks {
				b := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
				switch {
				case d.Key == disks[0].Key:
					if d.CapacityInKB != int64(grow)<<20 {
						t.Errorf("grown disk: %d KB, want %d GB", d.CapacityInKB, grow)
					}
				case d.CapacityInKB == 2<<20:
					if b.ThinProvisioned == nil || *b.ThinProvisioned || !strings.HasPrefix(b.FileName, "["+diskDS+"]") {
						t.Errorf("new disk: thin %v, file %s (want thick on %s)", b.ThinProvisioned, b.FileName, diskDS)
					}
				}
			}

			newNICs := nicsOf(t, e, renamed)
			if len(newNICs) != len(nics)+1 {
				t.Fatalf("NICs: %d, want %d", len(newNICs), len(nics)+1)
			}
			for _, n := range newNICs {
				c := card(n)
				if c.Key == card(nics[0]).Key && (c.Connectable == nil || c.Connectable.StartConnected) {
					t.Errorf("%s still connects at power on", label(n))
				}
			}
			added := card(newNICs[len(newNICs)-1])
			if b, ok := added.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); !ok || b.DeviceName != "VM Network" || !added.Connectable.StartConnected {
				t.Errorf("new NIC backing %#v", added.Backing)
			}

			cds := devicesOfVM[*types.VirtualCdrom](t, e, renamed)
			if len(cds) != 1 {
				t.Fatalf("CD/DVD drives: %d", len(cds))
			}
			if b, ok := cds[0].Backing.(*types.VirtualCdromIsoBackingInfo); !ok || b.FileName != iso || !cds[0].Connectable.StartConnected {
				t.Errorf("CD/DVD backing %#v", cds[0].Backing)
			}

			// Eject: the drive stays, empty.
			ej := testenv.CallOK[vsphere.ReconfigureResult](t, e, "reconfigure_vm", map[string]any{"name": renamed, "iso": ""})
			cds = devicesOfVM[*types.VirtualCdrom](t, e, renamed)
			if _, isISO := cds[0].Backing.(*types.VirtualCdromIsoBackingInfo); len(cds) != 1 || isISO || len(ej.Changes) != 1 || ej.Changes[0].Before != iso {
				t.Errorf("after eject: drives %d, backing %#v, answer %+v", len(cds), cds[0].Backing, ej)
			}

			// Asking for what already is changes nothing and runs no task.
			before := fullState(t, e)
			same := testenv.CallOK[vsphere.ReconfigureResult](t, e, "reconfigure_vm", map[string]any{"name": renamed, "cpu": 4, "memory": 2048, "new_name": renamed, "iso": ""})
			if same.Changed || same.Task != "" || len(same.Changes) != 0 {
				t.Errorf("no-op answer: %+v", same)
			}
			if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Error("a no-op reconfigure changed the inventory")
			}
		})
	}
}

// TestReconfigureRunningVM: a running VM takes a CPU increase where CPU
// hot-add is on, network changes and a new disk; the refusals are in the bad-input table.
func TestReconfigureRunningVM(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	const name = "DC0_C0_RP0_VM0" // powered on
	reconfigure(t, e, name, types.VirtualMachineConfigSpec{CpuHotAddEnabled: types.NewBool(true)})
	nic := nicsOf(t, e, name)[0]
	r := testenv.CallOK[vsphere.ReconfigureResult](t, e, "reconfigure_vm", map[string]any{
		"name": name, "cpu": 2, "add_disk_gb": 1, "nic_network": "VM Network", "nic_connected": false,
	})
	vm := mustVM(t, e, name)
	if vm.Config.Hardware.NumCPU != 2 || vm.Runtime.PowerState != "poweredOn" || r.PowerState != "poweredOn" {
		t.Errorf("cpu %d, power %s", vm.Config.Hardware.NumCPU, vm.Runtime.PowerState)
	}
	for _, n := range nicsOf(t, e, name) {
		c := card(n)
		if c.Key != card(nic).Key {
			continue
		}
		if b, ok := c.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); !ok || b.DeviceName != "VM Network" {
			t.Errorf("NIC backing %#v, want VM Network (it was on the distributed port group)", c.Backing)
		}
		if c.Connectable.Connected || c.Connectable.StartConnected {
			t.Errorf("NIC still connected: %+v", c.Connectable)
		}
	}
	if c := changeOf(r, label(nic)+" connected"); c == nil || c.Before != "true" || c.After != "false" {
		t.Errorf("connected change %+v in %+v", c, r.Changes)
	}
	if c := changeOf(r, label(nic)+" network"); c == nil || c.Before != "DC0_DVPG0" || c.After != "VM Network" {
		t.Errorf("network change %+v", c)
	}
}

// TestCreateVMWithISO: create_vm's iso puts a CD/DVD drive holding the ISO in the new VM.
func TestCreateVMWithISO(t *testing.T) {
	t.Parallel()
	for _, esx := range []bool{false, true} {
		t.Run(map[bool]string{false: "vCenter", true: "ESXi"}[esx], func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Options{ESX: esx})
			iso := putISO(t, e, "LocalDS_0", "images/os.iso")
			testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "with-media", "cpu": 1, "memory": 512, "iso": iso})
			cds := devicesOfVM[*types.VirtualCdrom](t, e, "with-media")
			if len(cds) != 1 {
				t.Fatalf("CD/DVD drives: %d", len(cds))
			}
			if b, ok := cds[0].Backing.(*types.VirtualCdromIsoBackingInfo); !ok || b.FileName != iso || !cds[0].Connectable.StartConnected {
				t.Errorf("backing %#v, connect %+v", cds[0].Backing, cds[0].Connectable)
			}
			before := fullState(t, e)
			msg := testenv.CallErr(t, e, "create_vm", map[string]any{"name": "no-media", "cpu": 1, "memory": 512, "iso": "[LocalDS_0] images/missing.iso"})
			if !strings.Contains(msg, "was not found on datastore LocalDS_0") {
				t.Errorf("missing ISO: %q", msg)
			}
			if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Error("a refused create changed the inventory")
			}
		})
	}
}

// TestReconfigureBadInput: each refusal says why in words and changes nothing.
func TestReconfigureBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	const on, off = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"
	twinVM(t, e, "DC0_H0_VM0")
	setHostMaxVCPUs(t, e, fx.ref(t, "host", "DC0_C0_H0"), 8)
	setHostMaxVCPUs(t, e, fx.ref(t, "host", "DC0_C0_H1"), 8)
	setHostMaxVCPUs(t, e, fx.ref(t, "host", "DC0_C0_H2"), 8)
	iso := putISO(t, e, "LocalDS_0", "iso/ok.iso")
	withSnap := "DC0_H0_VM1"
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": withSnap, "snapshot": "s"})
	reconfigure(t, e, withSnap, types.VirtualMachineConfigSpec{NumCPUs: 2}) // running, 2 vCPUs in 1 socket each
	disk := label(devicesOfVM[*types.VirtualDisk](t, e, off)[0])
	diskGB := int(devicesOfVM[*types.VirtualDisk](t, e, off)[0].CapacityInKB >> 20)
	// A VM with two NICs, so that nic must be said; and one with no CD/DVD drive.
	testenv.CallOK[vsphere.ReconfigureResult](t, e, "reconfigure_vm", map[string]any{"name": "DC0_H0_VM1", "add_nic_network": "VM Network"})
	for _, cd := range devicesOfVM[*types.VirtualCdrom](t, e, on) {
		reconfigure(t, e, on, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: cd},
		}})
	}

	cases := vmRefCases("name", map[string]any{"cpu": 2}, "DC0_H0_VM0")
	cases = append(cases,
		badInput{"nothing to change", map[string]any{"name": off}, []string{"nothing to change"}},
		badInput{"zero cpu", map[string]any{"name": off, "cpu": 0}, []string{"cpu"}},
		badInput{"cpu above 128", map[string]any{"name": off, "cpu": 129}, []string{"cpu"}},
		badInput{"cpu above the host's maximum", map[string]any{"name": off, "cpu": 16}, []string{"cpu 16", "at most 8"}},
		badInput{"cores not dividing the CPUs", map[string]any{"name": off, "cpu": 3, "cores_per_socket": 2}, []string{"cores_per_socket 2 does not divide the 3 vCPUs"}},
		badInput{"cores of a running VM", map[string]any{"name": withSnap, "cores_per_socket": 2}, []string{"poweredOn", "cores_per_socket changes only while the VM is off"}},
		badInput{"cpu of a running VM without hot-add", map[string]any{"name": on, "cpu": 2}, []string{"CPU hot-add is not enabled", "power_off_vm"}},
		badInput{"memory of a running VM without hot-add", map[string]any{"name": on, "memory": 4096}, []string{"memory hot-add is not enabled", "power it off"}},
		badInput{"memory decrease of a running VM", map[string]any{"name": on, "memory": 4}, []string{"can only grow while it runs", "power it off"}},
		badInput{"memory not a multiple of 4", map[string]any{"name": off, "memory": 1023}, []string{"memory"}},
		badInput{"new name with a slash", map[string]any{"name": off, "new_name": "a/b"}, []string{"new_name"}},
		badInput{"new name too long", map[string]any{"name": off, "new_name": strings.Repeat("n", 81)}, []string{"new_name"}},
		badInput{"new name already used", map[string]any{"name": off, "new_name": on}, []string{"already used in folder /DC0/vm"}},
		badInput{"template hardware", map[string]any{"name": simulator.TemplateName, "cpu": 4}, []string{"is a template", "convert_to_vm"}},
		badInput{"disk on an unknown datastore", map[string]any{"name": off, "add_disk_gb": 1, "add_disk_datastore": "ds9"}, []string{`datastore "ds9" not found`, "LocalDS_0"}},
		badInput{"disk datastore without a size", map[string]any{"name": off, "add_disk_datastore": "LocalDS_0"}, []string{"give add_disk_gb too"}},
		badInput{"disk too large", map[string]any{"name": off, "add_disk_gb": 63489}, []string{"add_disk_gb"}},
		badInput{"unknown provisioning", map[string]any{"name": off, "add_disk_gb": 1, "add_disk_provisioning": "sparse"}, []string{"add_disk_provisioning"}},
		badInput{"grow an unknown disk", map[string]any{"name": off, "grow_disk": "Hard disk 9", "grow_disk_gb": 50}, []string{`grow_disk "Hard disk 9"`, disk}},
		badInput{"shrink a disk", map[string]any{"name": off, "grow_disk": disk, "grow_disk_gb": max(diskGB-1, 1)}, []string{"never shrunk"}},
		badInput{"grow without a size", map[string]any{"name": off, "grow_disk": disk}, []string{"go together"}},
		badInput{"grow a disk of a VM with snapshots", map[string]any{"name": withSnap, "grow_disk": disk, "grow_disk_gb": 500}, []string{"has snapshots", "delete_snapshot"}},
		badInput{"NIC on an unknown network", map[string]any{"name": off, "add_nic_network": "nope"}, []string{`network "nope" not found`, "VM Network"}},
		badInput{"unknown NIC", map[string]any{"name": off, "nic": "Network adapter 7", "nic_connected": true}, []string{`nic "Network adapter 7"`}},
		badInput{"NIC not said among two", map[string]any{"name": "DC0_H0_VM1", "nic_connected": false}, []string{"has 2 network adapters", "say which with nic"}},
		badInput{"NIC without a change", map[string]any{"name": off, "nic": "Network adapter 1"}, []string{"give nic_network or nic_connected"}},
		badInput{"NIC to an unknown network", map[string]any{"name": off, "nic_network": "nope"}, []string{"nic_network", "not found"}},
		badInput{"ISO path without datastore", map[string]any{"name": off, "iso": "iso/ok.iso"}, []string{"not a datastore path"}},
		badInput{"ISO that is not an .iso", map[string]any{"name": off, "iso": "[LocalDS_0] iso/ok.img"}, []string{"does not name an .iso file"}},
		badInput{"ISO on an unknown datastore", map[string]any{"name": off, "iso": "[ds9] iso/ok.iso"}, []string{`datastore "ds9" not found`}},
		badInput{"missing ISO file", map[string]any{"name": off, "iso": "[LocalDS_0] iso/missing.iso"}, []string{"was not found on datastore LocalDS_0"}},
		badInput{"ISO in a running VM without a drive", map[string]any{"name": on, "iso": iso}, []string{"has no CD/DVD drive", "power it off"}},
		badInput{"annotation too long", map[string]any{"name": off, "annotation": strings.Repeat("a", 65536)}, []string{"annotation"}},
	)
	runBadInputs(t, e, "reconfigure_vm", cases)
}
