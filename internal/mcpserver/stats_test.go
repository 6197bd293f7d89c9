package mcpserver_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// models are the two simulator models every stats test runs against, with a
// VM that is powered on in each.
var models = []struct {
	name string
	opts testenv.Options
	vm   string
}{
	{"vCenter", testenv.Options{}, "DC0_H0_VM0"},
	{"ESXi", testenv.Options{ESX: true}, "ha-host_VM0"},
}

func getStats(t *testing.T, e *testenv.Env, args map[string]any) *vsphere.VMStats {
	t.Helper()
	s := testenv.CallOK[vsphere.VMStats](t, e, "get_vm_stats", args)
	return &s
}

// TestVMStatsFieldsPresentAndNumeric reads the raw structured content: every
// live figure of a powered-on VM is present and a JSON number.
func TestVMStatsFieldsPresentAndNumeric(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			raw := testenv.CallOK[map[string]any](t, e, "get_vm_stats", map[string]any{"name": m.vm})
			want := map[string][]string{
				"cpu":     {"usage_mhz", "usage_percent", "ready_percent"},
				"memory":  {"consumed_mb", "active_mb", "granted_mb", "usage_percent"},
				"network": {"rx_kb_per_sec", "tx_kb_per_sec"},
				"disk":    {"read_kb_per_sec", "write_kb_per_sec"},
				"storage": {"committed_gb", "uncommitted_gb", "provisioned_gb", "unshared_gb"},
				"sample":  {"interval_seconds", "sample_count"},
			}
			for section, fields := range want {
				sec, ok := raw[section].(map[string]any)
				if !ok {
					t.Fatalf("%s is %v, want an object", section, raw[section])
				}
				for _, f := range fields {
					if _, ok := sec[f].(float64); !ok {
						t.Errorf("%s.%s = %#v, want a number", section, f, sec[f])
					}
				}
			}
			nics, _ := raw["network"].(map[string]any)["nics"].([]any)
			if len(nics) == 0 {
				t.Fatalf("network.nics is empty for a VM with a NIC")
			}
			for _, n := range nics {
				for _, f := range []string{"rx_kb_per_sec", "tx_kb_per_sec"} {
					if _, ok := n.(map[string]any)[f].(float64); !ok {
						t.Errorf("network.nics[].%s = %#v, want a number", f, n.(map[string]any)[f])
					}
				}
			}
			for _, ds := range raw["storage"].(map[string]any)["datastores"].([]any) {
				if _, ok := ds.(map[string]any)["provisioned_gb"].(float64); !ok {
					t.Errorf("storage.datastores[].provisioned_gb is not a number: %v", ds)
				}
			}
			if raw["live"] != true || raw["power_state"] != "poweredOn" || raw["window"] != nil {
				t.Errorf("live=%v power_state=%v window=%v, want true, poweredOn, null", raw["live"], raw["power_state"], raw["window"])
			}
			if _, err := time.Parse(time.RFC3339, raw["sample"].(map[string]any)["last_sample_time"].(string)); err != nil {
				t.Errorf("sample.last_sample_time: %v", err)
			}
		})
	}
}

// TestVMStatsMatchPerformanceManager compares the latest sample with the same
// sample read directly from the performance manager: every conversion, the
// network total as the sum of the per-NIC series (two NICs), rx against
// net.received and tx against net.transmitted.
func TestVMStatsMatchPerformanceManager(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			stabilize(t, e)
			vm := addNIC(t, e, m.vm, "VM Network")
			if len(nicKeys(vm)) != 2 {
				t.Fatalf("VM has NICs %v, want 2", nicKeys(vm))
			}
			s := getStats(t, e, map[string]any{"name": m.vm})
			if s.Sample == nil || s.Sample.SampleCount != 1 || s.Sample.Source != vsphere.SourceRealtime || s.Sample.IntervalSeconds != 20 {
				t.Fatalf("sample = %+v, want one real-time 20-second sample", s.Sample)
			}
			direct := directSamples(t, e, vm, 20, s.Sample.LastSampleTime, s.Sample.LastSampleTime)
			if len(direct) != 1 {
				t.Fatalf("direct query returned %d samples, want 1", len(direct))
			}
			want := direct[0]
			got := flatten(latestFigures(s))
			sameFigures(t, "latest sample", got, want)

			if want["network.rx_kb_per_sec"] == want["network.tx_kb_per_sec"] {
				t.Fatalf("test data cannot tell rx from tx")
			}
			if got["network.rx_kb_per_sec"] == want["network.tx_kb_per_sec"] || got["network.tx_kb_per_sec"] == want["network.rx_kb_per_sec"] {
				t.Errorf("rx and tx are swapped: got rx %v tx %v", got["network.rx_kb_per_sec"], got["network.tx_kb_per_sec"])
			}
			if len(s.Network.NICs) != 2 {
				t.Errorf("per-NIC figures for %d NICs, want 2", len(s.Network.NICs))
			}
			checkStorage(t, s.Storage, vm)
		})
	}
}

// checkStorage compares storage figures with the VM's own summary and per-datastore usage.
func checkStorage(t *testing.T, got vsphere.StorageStats, vm mo.VirtualMachine) {
	t.Helper()
	gb := func(b int64) float64 { return math.Round(float64(b)/(1<<30)*100) / 100 }
	sum := vm.Summary.Storage
	if got.CommittedGB != gb(sum.Committed) || got.UncommittedGB != gb(sum.Uncommitted) ||
		got.ProvisionedGB != gb(sum.Committed+sum.Uncommitted) || got.UnsharedGB != gb(sum.Unshared) {
		t.Errorf("storage = %+v, want the VM's summary.storage %+v", got, *sum)
	}
	if len(got.Datastores) != len(vm.Storage.PerDatastoreUsage) {
		t.Fatalf("storage per datastore: %d entries, want %d", len(got.Datastores), len(vm.Storage.PerDatastoreUsage))
	}
	for _, u := range vm.Storage.PerDatastoreUsage {
		found := false
		for _, d := range got.Datastores {
			if d.ID == u.Datastore.Value {
				found = true
				if d.Name == "" || d.CommittedGB != gb(u.Committed) || d.ProvisionedGB != gb(u.Committed+u.Uncommitted) {
					t.Errorf("datastore %s = %+v, want %+v", u.Datastore.Value, d, u)
				}
			}
		}
		if !found {
			t.Errorf("no storage figures for datastore %s", u.Datastore.Value)
		}
	}
}

// TestVMStatsResourceMatchesTool: the vmstats:// resource and get_vm_stats
// report the same figures for the same sample.
func TestVMStatsResourceMatchesTool(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			stabilize(t, e)
			// Samples change every 20 seconds; should the two reads straddle a
			// boundary, read both again.
			for attempt := 0; ; attempt++ {
				fromTool := getStats(t, e, map[string]any{"name": m.vm})
				fromResource := readStats(t, e, "vmstats://"+m.vm)
				if !fromTool.Sample.LastSampleTime.Equal(fromResource.Sample.LastSampleTime) && attempt < 3 {
					continue
				}
				if !reflect.DeepEqual(fromTool, fromResource) {
					t.Errorf("resource and tool differ for sample %v:\ntool:     %+v\nresource: %+v", fromTool.Sample.LastSampleTime, fromTool, fromResource)
				}
				return
			}
		})
	}
}

func readStats(t *testing.T, e *testenv.Env, uri string) *vsphere.VMStats {
	t.Helper()
	res, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("reading %s: %v", uri, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != "application/json" {
		t.Fatalf("reading %s: contents %+v, want one application/json item", uri, res.Contents)
	}
	var s vsphere.VMStats
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &s); err != nil {
		t.Fatalf("reading %s: %v", uri, err)
	}
	return &s
}

// TestVMStatsPoweredOff: a VM that is off (and a template) reports storage,
// null live sections and a note; it is not an error and queries no samples.
func TestVMStatsPoweredOff(t *testing.T) {
	cases := []struct {
		name string
		opts testenv.Options
		vm   string
		args map[string]any
	}{
		{"vCenter VM", testenv.Options{}, "DC0_C0_RP0_VM1", nil},
		{"vCenter VM with window", testenv.Options{}, "DC0_C0_RP0_VM1", map[string]any{"window_minutes": 30}},
		{"vCenter template", testenv.Options{}, "ubuntu-22.04-template", nil},
		{"ESXi VM", testenv.Options{ESX: true}, "ha-host_VM1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testenv.New(t, c.opts)
			vm := vmByName(t, e, c.vm)
			if vm.Runtime.PowerState != "poweredOff" {
				t.Fatalf("fixture VM %s is %s, want poweredOff", c.vm, vm.Runtime.PowerState)
			}
			args := map[string]any{"name": c.vm}
			for k, v := range c.args {
				args[k] = v
			}
			e.ResetSOAP()
			raw := testenv.CallOK[map[string]any](t, e, "get_vm_stats", args)
			if _, byMethod := e.SOAP(); byMethod["QueryPerf"] != 0 {
				t.Errorf("queried performance samples of a powered-off VM: %v", byMethod)
			}
			for _, k := range []string{"cpu", "memory", "network", "disk", "sample", "window"} {
				if v, present := raw[k]; !present || v != nil {
					t.Errorf("%s = %v (present %v), want null", k, v, present)
				}
			}
			if raw["live"] != false || raw["power_state"] != "poweredOff" {
				t.Errorf("live = %v, power_state = %v", raw["live"], raw["power_state"])
			}
			notes, _ := raw["notes"].([]any)
			if len(notes) == 0 || !strings.Contains(notes[0].(string), "no live performance samples") {
				t.Errorf("notes = %v, want a statement that no live samples exist", notes)
			}
			s := getStats(t, e, args)
			checkStorage(t, s.Storage, vm)
		})
	}
}
