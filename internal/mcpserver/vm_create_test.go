package mcpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// fixtures are objects tests place VMs in, made directly in vSphere.
type fixtures struct {
	folder, pool types.ManagedObjectReference
	finder       *find.Finder
}

func makeFixtures(t *testing.T, e *testenv.Env) fixtures {
	t.Helper()
	ctx := context.Background()
	f := find.NewFinder(e.Vim)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := folders.VmFolder.CreateFolder(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.ResourcePool(ctx, "/DC0/host/DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := root.Create(ctx, "rp-test", types.DefaultResourceConfigSpec())
	if err != nil {
		t.Fatal(err)
	}
	e.Fresh(t)
	return fixtures{folder: prod.Reference(), pool: pool.Reference(), finder: f}
}

func (fx fixtures) ref(t *testing.T, kind, path string) types.ManagedObjectReference {
	t.Helper()
	ctx := context.Background()
	var (
		r   object.Reference
		err error
	)
	switch kind {
	case "datastore":
		r, err = fx.finder.Datastore(ctx, path)
	case "network":
		r, err = fx.finder.Network(ctx, path)
	case "host":
		r, err = fx.finder.HostSystem(ctx, path)
	case "pool":
		r, err = fx.finder.ResourcePool(ctx, path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r.Reference()
}

// setHostMaxVCPUs sets a simulated host's vCPU limit per VM (the simulator leaves it unset).
func setHostMaxVCPUs(t *testing.T, e *testenv.Env, host types.ManagedObjectReference, n int32) {
	t.Helper()
	m := e.Sim.Model().Map()
	h := m.Get(host).(*vsim.HostSystem)
	m.WithLock(&vsim.Context{}, h, func() {
		c := *h.Capability
		c.MaxSupportedVcpus = n
		h.Capability = &c
	})
}

func TestCreateVM(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	ctx := context.Background()

	// The three kinds of network backing.
	var dvpg mo.DistributedVirtualPortgroup
	pc := property.DefaultCollector(e.Vim)
	if err := pc.RetrieveOne(ctx, fx.ref(t, "network", "DC0_DVPG0"), []string{"key", "config.distributedVirtualSwitch"}, &dvpg); err != nil {
		t.Fatal(err)
	}
	var dvs mo.DistributedVirtualSwitch
	if err := pc.RetrieveOne(ctx, *dvpg.Config.DistributedVirtualSwitch, []string{"uuid"}, &dvs); err != nil {
		t.Fatal(err)
	}
	var opaque mo.OpaqueNetwork
	if err := pc.RetrieveOne(ctx, fx.ref(t, "network", "DC0_NSX0"), []string{"summary"}, &opaque); err != nil {
		t.Fatal(err)
	}
	var nsxpg mo.DistributedVirtualPortgroup
	if err := pc.RetrieveOne(ctx, fx.ref(t, "network", "DC0_NSXPG0"), []string{"key", "config.logicalSwitchUuid"}, &nsxpg); err != nil {
		t.Fatal(err)
	}
	if nsxpg.Config.LogicalSwitchUuid != opaque.Summary.(*types.OpaqueNetworkSummary).OpaqueNetworkId {
		t.Fatal("fixture: the NSX port group does not back the opaque network")
	}
	host := fx.ref(t, "host", "DC0_C0_H2")
	setHostMaxVCPUs(t, e, host, 8)

	cases := []struct {
		name      string
		args      map[string]any
		folder    types.ManagedObjectReference
		pool      types.ManagedObjectReference
		datastore string
		diskGB    int64
		checkNIC  func(types.BaseVirtualDeviceBackingInfo) bool
		wantPower types.VirtualMachinePowerState
		wantHost  *types.ManagedObjectReference
	}{{
		name: "defaults on a standard port group",
		args: map[string]any{"name": "new-default", "cpu": 1, "memory": 512},
		// Default placement: the datacenter's VM folder, the cluster's root pool, the datastore with most space.
		folder: e.VS.Defaults.VMFolder.Ref, pool: e.VS.Defaults.ResourcePool.Ref, datastore: e.VS.Defaults.Datastore.Name, diskGB: 10,
		checkNIC: func(b types.BaseVirtualDeviceBackingInfo) bool {
			nb, ok := b.(*types.VirtualEthernetCardNetworkBackingInfo)
			return ok && nb.DeviceName == "VM Network" && nb.Network != nil && *nb.Network == fx.ref(t, "network", "VM Network")
		},
		wantPower: types.VirtualMachinePowerStatePoweredOff,
	}, {
		name: "distributed port group, folder, pool, datastore, powered on",
		args: map[string]any{"name": "new-dvpg", "cpu": 2, "memory": 2048, "disk_gb": 20, "datastore": "LocalDS_0",
			"network": "DC0_DVPG0", "folder": "prod", "resource_pool": "rp-test", "guest_id": "ubuntu64Guest", "annotation": "made by a test", "power_on": true},
		folder: fx.folder, pool: fx.pool, datastore: "LocalDS_0", diskGB: 20,
		checkNIC: func(b types.BaseVirtualDeviceBackingInfo) bool {
			pb, ok := b.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
			return ok && pb.Port.SwitchUuid == dvs.Uuid && pb.Port.PortgroupKey == dvpg.Key
		},
		wantPower: types.VirtualMachinePowerStatePoweredOn,
	}, {
		// The simulator, like vCenter with NSX on a VDS, attaches an NSX opaque
		// network's NIC to the port group that implements the segment; it finds
		// that port group by the opaque network id and type we send, so landing
		// on it proves the opaque backing was right.
		name: "opaque network on a given host",
		args: map[string]any{"name": "new-opaque", "cpu": 8, "memory": 1024, "disk_gb": 1, "network": "DC0_NSX0",
			"folder": "/DC0/vm/prod", "host": "DC0_C0_H2"},
		folder: fx.folder, pool: e.VS.Defaults.ResourcePool.Ref, datastore: e.VS.Defaults.Datastore.Name, diskGB: 1,
		checkNIC: func(b types.BaseVirtualDeviceBackingInfo) bool {
			pb, ok := b.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
			return ok && pb.Port.PortgroupKey == nsxpg.Key
		},
		wantPower: types.VirtualMachinePowerStatePoweredOff,
		wantHost:  &host,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := testenv.CallOK[struct {
				ID, Name, Path string
				VMXPath        string `json:"vmx_path"`
			}](t, e, "create_vm", c.args)
			vm := mustVM(t, e, c.args["name"].(string))
			if out.ID != vm.Self.Value {
				t.Errorf("answer says id %s, vSphere has %s", out.ID, vm.Self.Value)
			}
			cfg := vm.Config
			if cfg.Hardware.NumCPU != int32(c.args["cpu"].(int)) || cfg.Hardware.MemoryMB != int32(c.args["memory"].(int)) {
				t.Errorf("hardware = %d CPU %d MB, want %v / %v", cfg.Hardware.NumCPU, cfg.Hardware.MemoryMB, c.args["cpu"], c.args["memory"])
			}
			if want := "[" + c.datastore + "] " + c.args["name"].(string) + "/"; !strings.HasPrefix(cfg.Files.VmPathName, want) {
				t.Errorf("vmPathName = %q, want it under %q", cfg.Files.VmPathName, want)
			}
			if *vm.Parent != c.folder || *vm.ResourcePool != c.pool {
				t.Errorf("placed in folder %v pool %v, want %v %v", vm.Parent, vm.ResourcePool, c.folder, c.pool)
			}
			if c.wantHost != nil && *vm.Runtime.Host != *c.wantHost {
				t.Errorf("on host %v, want %v", vm.Runtime.Host, c.wantHost)
			}
			if g, ok := c.args["guest_id"]; ok && cfg.GuestId != g {
				t.Errorf("guest id %s, want %s", cfg.GuestId, g)
			} else if !ok && cfg.GuestId != "otherGuest64" {
				t.Errorf("default guest id %s, want otherGuest64", cfg.GuestId)
			}
			if a, ok := c.args["annotation"]; ok && cfg.Annotation != a {
				t.Errorf("annotation %q, want %q", cfg.Annotation, a)
			}
			checkDevices(t, e, cfg.Hardware.Device, c.datastore, c.diskGB, c.checkNIC)
			if vm.Runtime.PowerState != c.wantPower {
				t.Errorf("power state %s, want %s", vm.Runtime.PowerState, c.wantPower)
			}
		})
	}
}

// checkDevices: one SAS controller, one thin disk of gb on datastore ds attached to it, one NIC whose backing passes nic.
func checkDevices(t *testing.T, e *testenv.Env, devs []types.BaseVirtualDevice, ds string, gb int64, nic func(types.BaseVirtualDeviceBackingInfo) bool) {
	t.Helper()
	var ctrl *types.VirtualLsiLogicSASController
	var disks []*types.VirtualDisk
	var nics []types.BaseVirtualEthernetCard
	for _, d := range devs {
		switch d := d.(type) {
		case *types.VirtualLsiLogicSASController:
			ctrl = d
		case *types.VirtualDisk:
			disks = append(disks, d)
		case types.BaseVirtualEthernetCard:
			nics = append(nics, d)
		}
	}
	if ctrl == nil || len(disks) != 1 || len(nics) != 1 {
		t.Fatalf("want a SAS controller, one disk and one NIC; got controller %v, %d disks, %d NICs", ctrl != nil, len(disks), len(nics))
	}
	disk := disks[0]
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if b.ThinProvisioned == nil || !*b.ThinProvisioned {
		t.Errorf("disk is not thin")
	}
	if disk.CapacityInKB != gb<<20 {
		t.Errorf("disk is %d KB, want %d GB", disk.CapacityInKB, gb)
	}
	if b.Datastore == nil || nameOf(t, e, *b.Datastore) != ds {
		t.Errorf("disk on datastore %v, want %s", b.Datastore, ds)
	}
	if disk.ControllerKey != ctrl.Key {
		t.Errorf("disk on controller %d, want the SAS controller %d", disk.ControllerKey, ctrl.Key)
	}
	if backing := nics[0].GetVirtualEthernetCard().Backing; !nic(backing) {
		t.Errorf("NIC backing %#v is not the expected one", backing)
	}
}
