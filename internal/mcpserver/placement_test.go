package mcpserver_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// retrieveAll reads objects of one type directly through the test's own session.
func retrieveAll(t *testing.T, e *testenv.Env, kind string, props []string, dst any) {
	t.Helper()
	ctx := context.Background()
	v, err := view.NewManager(e.Vim).CreateContainerView(ctx, e.Vim.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	if err := v.Retrieve(ctx, []string{kind}, props, dst); err != nil {
		t.Fatalf("reading %s directly: %v", kind, err)
	}
}

func gib(b int64) float64 { return math.Round(float64(b)/(1<<30)*100) / 100 }

func TestListHosts(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			var hosts []mo.HostSystem
			retrieveAll(t, e, "HostSystem", []string{"name", "parent", "runtime", "summary", "vm"}, &hosts)
			// One host in maintenance mode, set directly through vSphere.
			ctx := context.Background()
			task, err := object.NewHostSystem(e.Vim, hosts[0].Self).EnterMaintenanceMode(ctx, 0, false, nil)
			if err == nil {
				err = task.Wait(ctx)
			}
			if err != nil {
				t.Fatalf("entering maintenance mode: %v", err)
			}
			e.Sim.Publish(hosts[0].Self, "runtime.inMaintenanceMode") // the simulator does not announce it; vCenter does
			e.Fresh(t)
			hosts = nil
			retrieveAll(t, e, "HostSystem", []string{"name", "parent", "runtime", "summary", "vm"}, &hosts)
			var clusters []mo.ClusterComputeResource
			retrieveAll(t, e, "ClusterComputeResource", []string{"name"}, &clusters)

			got := testenv.CallOK[vsphere.HostList](t, e, "list_hosts", map[string]any{})
			if got.Total != len(hosts) || len(got.Hosts) != len(hosts) {
				t.Fatalf("%d hosts (total %d), want %d", len(got.Hosts), got.Total, len(hosts))
			}
			inMaintenance := 0
			for _, h := range hosts {
				i := slices.IndexFunc(got.Hosts, func(g vsphere.HostInfo) bool { return g.ID == h.Self.Value })
				if i < 0 {
					t.Errorf("host %s missing", h.Name)
					continue
				}
				g, hw, qs := got.Hosts[i], h.Summary.Hardware, h.Summary.QuickStats
				want := vsphere.HostInfo{
					ID: h.Self.Value, Name: h.Name,
					ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
					MaintenanceMode: h.Runtime.InMaintenanceMode,
					CPUCores:        int32(hw.NumCpuCores), CPUCapacityMHz: int64(hw.CpuMhz) * int64(hw.NumCpuCores),
					CPUUsageMHz:      int64(qs.OverallCpuUsage),
					MemoryCapacityMB: hw.MemorySize >> 20, MemoryUsageMB: int64(qs.OverallMemoryUsage),
					VMCount: len(h.Vm),
				}
				want.CPUUsagePercent = math.Round(float64(want.CPUUsageMHz)/float64(want.CPUCapacityMHz)*10000) / 100
				want.MemoryUsagePercent = math.Round(float64(want.MemoryUsageMB)/float64(want.MemoryCapacityMB)*10000) / 100
				if c := slices.IndexFunc(clusters, func(c mo.ClusterComputeResource) bool { return c.Self == *h.Parent }); c >= 0 {
					want.Cluster = clusters[c].Name
				}
				if g != want {
					t.Errorf("host %s:\n got %+v\nwant %+v", h.Name, g, want)
				}
				if g.MaintenanceMode {
					inMaintenance++
				}
			}
			if inMaintenance != 1 {
				t.Errorf("%d hosts in maintenance mode, want 1", inMaintenance)
			}
			if !m.opts.ESX {
				filtered := testenv.CallOK[vsphere.HostList](t, e, "list_hosts", map[string]any{"name": "DC0_C0_*"})
				if filtered.Total != 3 {
					t.Errorf("name DC0_C0_*: %d hosts, want the 3 of cluster DC0_C0", filtered.Total)
				}
			}
		})
	}
}

func TestListDatastores(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			var stores []mo.Datastore
			retrieveAll(t, e, "Datastore", []string{"name", "summary", "host", "vm"}, &stores)
			var hosts []mo.HostSystem
			retrieveAll(t, e, "HostSystem", []string{"name"}, &hosts)

			got := testenv.CallOK[vsphere.DatastoreList](t, e, "list_datastores", map[string]any{})
			if got.Total != len(stores) {
				t.Fatalf("%d datastores, want %d", got.Total, len(stores))
			}
			for _, ds := range stores {
				i := slices.IndexFunc(got.Datastores, func(g vsphere.DatastoreInfo) bool { return g.ID == ds.Self.Value })
				if i < 0 {
					t.Errorf("datastore %s missing", ds.Name)
					continue
				}
				g, s := got.Datastores[i], ds.Summary
				var mounted []string
				for _, mount := range ds.Host {
					h := slices.IndexFunc(hosts, func(h mo.HostSystem) bool { return h.Self == mount.Key })
					mounted = append(mounted, hosts[h].Name)
				}
				slices.Sort(mounted)
				if g.Name != ds.Name || g.Type != s.Type || g.CapacityGB != gib(s.Capacity) || g.FreeGB != gib(s.FreeSpace) ||
					g.ProvisionedGB != gib(s.Capacity-s.FreeSpace+s.Uncommitted) || g.Accessible != s.Accessible ||
					g.MaintenanceMode != s.MaintenanceMode || g.VMCount != len(ds.Vm) ||
					!slices.Equal(g.Hosts, mounted) || g.HostCount != len(mounted) {
					t.Errorf("datastore %s:\n got %+v\nwant summary %+v, hosts %v, %d VMs", ds.Name, g, s, mounted, len(ds.Vm))
				}
			}
		})
	}
}

func TestListNetworks(t *testing.T) {
	cases := []struct {
		model int
		want  map[string]vsphere.NetworkInfo // by name; IDs and counts are checked separately
	}{
		{0, map[string]vsphere.NetworkInfo{
			"VM Network":       {Kind: "standard", Switch: "vSwitch0", VLANID: ptr(int32(0))},
			"DC0_DVPG0":        {Kind: "distributed", Switch: "DVS0", VLANID: ptr(int32(0))},
			"DVS0-DVUplinks-8": {Kind: "distributed", Switch: "DVS0", VLAN: "trunk 0-4094"},
			"DC0_NSX0":         {Kind: "opaque", OpaqueType: "nsx.LogicalSwitch"},
		}},
		{1, map[string]vsphere.NetworkInfo{
			"VM Network": {Kind: "standard", Switch: "vSwitch0", VLANID: ptr(int32(0))},
		}},
	}
	for _, c := range cases {
		t.Run(models[c.model].name, func(t *testing.T) {
			e := testenv.New(t, models[c.model].opts)
			var nets []mo.Network
			retrieveAll(t, e, "Network", []string{"name", "host", "vm"}, &nets)
			// Counted from the hosts' and VMs' own network lists, as vCenter
			// keeps them (govmomi's simulator leaves a standard network's host
			// and vm lists empty, and a port group's vm list too).
			var hostsOf []mo.HostSystem
			var vmsOf []mo.VirtualMachine
			retrieveAll(t, e, "HostSystem", []string{"network"}, &hostsOf)
			retrieveAll(t, e, "VirtualMachine", []string{"network"}, &vmsOf)
			hostCount, vmCount := map[string]int{}, map[string]int{}
			for _, h := range hostsOf {
				for _, n := range h.Network {
					hostCount[n.Value]++
				}
			}
			for _, vm := range vmsOf {
				for _, n := range vm.Network {
					vmCount[n.Value]++
				}
			}
			got := testenv.CallOK[vsphere.NetworkList](t, e, "list_networks", map[string]any{})
			if got.Total != len(nets) {
				t.Fatalf("%d networks, want %d", got.Total, len(nets))
			}
			for _, n := range nets {
				i := slices.IndexFunc(got.Networks, func(g vsphere.NetworkInfo) bool { return g.ID == n.Self.Value })
				if i < 0 {
					t.Errorf("network %s missing", n.Name)
					continue
				}
				g := got.Networks[i]
				if g.Name != n.Name || g.HostCount != hostCount[n.Self.Value] || g.VMCount != vmCount[n.Self.Value] {
					t.Errorf("network %s: %+v; want %d hosts, %d VMs", n.Name, g, hostCount[n.Self.Value], vmCount[n.Self.Value])
				}
				kind := map[string]string{"Network": "standard", "DistributedVirtualPortgroup": "distributed", "OpaqueNetwork": "opaque"}[n.Self.Type]
				if g.Kind != kind {
					t.Errorf("network %s (%s): kind %s, want %s", n.Name, n.Self.Type, g.Kind, kind)
				}
				if w, ok := c.want[n.Name]; ok {
					w.ID, w.Name, w.HostCount, w.VMCount = g.ID, g.Name, g.HostCount, g.VMCount
					if !reflect.DeepEqual(g, w) {
						t.Errorf("network %s:\n got %s\nwant %s", n.Name, asJSON(g), asJSON(w))
					}
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
