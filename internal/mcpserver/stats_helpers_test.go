package mcpserver_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// stablePerf makes the simulator's performance data repeatable. The stock
// simulator stamps samples with the current instant and adds fresh random
// noise to every query, so no two reads of "the same sample" agree — unlike a
// real vCenter, whose samples sit on 20-second (or 5-minute) boundaries and do
// not change once collected. This wrapper keeps the simulator's own
// QueryPerf (entity checks, sample count, newest-first order) and only puts
// timestamps on interval boundaries and derives each value from (VM, counter,
// instance, time), so a test can read a sample the server read and get the
// same numbers.
type stablePerf struct {
	*simulator.PerformanceManager
}

func (p *stablePerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	body := p.PerformanceManager.QueryPerf(ctx, req).(*methods.QueryPerfBody)
	if body.Res == nil {
		return body
	}
	for _, r := range body.Res.Returnval {
		m, ok := r.(*types.PerfEntityMetric)
		if !ok {
			continue
		}
		for i := range m.SampleInfo {
			iv := time.Duration(m.SampleInfo[i].Interval) * time.Second
			m.SampleInfo[i].Timestamp = m.SampleInfo[i].Timestamp.Truncate(iv)
		}
		for _, v := range m.Value {
			s := v.(*types.PerfMetricIntSeries)
			for j := range s.Value {
				s.Value[j] = stableValue(m.Entity, s.Id, m.SampleInfo[j].Timestamp)
			}
		}
	}
	return body
}

// stableValue is never zero (the simulator would drop it from the XML) and
// puts each counter in its own band of 1000, so received and transmitted can
// never be mistaken for each other.
func stableValue(vm types.ManagedObjectReference, id types.PerfMetricId, ts time.Time) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%s|%d", vm.Value, id.CounterId, id.Instance, ts.Unix())
	return 1 + int64(h.Sum64()%1000) + 1000*int64(id.CounterId%7)
}

// stabilize installs stablePerf in the environment's simulator.
func stabilize(t *testing.T, e *testenv.Env) {
	t.Helper()
	reg := e.Sim.Model().Map()
	pm, ok := reg.Get(*e.Vim.ServiceContent.PerfManager).(*simulator.PerformanceManager)
	if !ok {
		t.Fatalf("simulator performance manager has type %T", reg.Get(*e.Vim.ServiceContent.PerfManager))
	}
	reg.Put(&stablePerf{pm})
}

// counterIDs reads the counter catalogue directly, by full name.
func counterIDs(t *testing.T, e *testenv.Env) map[string]int32 {
	t.Helper()
	byName, err := performance.NewManager(e.Vim).CounterInfoByName(context.Background())
	if err != nil {
		t.Fatalf("reading the counter catalogue: %v", err)
	}
	ids := make(map[string]int32, len(byName))
	for name, info := range byName {
		ids[name] = info.Key
	}
	return ids
}

// vmByName reads the one VM named name directly, with the properties the tests compare.
func vmByName(t *testing.T, e *testenv.Env, name string) mo.VirtualMachine {
	t.Helper()
	var found []mo.VirtualMachine
	for _, vm := range e.VMs(t, "name", "config", "runtime.powerState", "summary.storage", "storage", "datastore") {
		if vm.Name == name {
			found = append(found, vm)
		}
	}
	if len(found) != 1 {
		t.Fatalf("reading VM %s directly: %d found", name, len(found))
	}
	return found[0]
}

// addNIC gives a VM one more virtual NIC on the given network and returns the
// VM as it now is, once the server's inventory mirror shows it too.
func addNIC(t *testing.T, e *testenv.Env, name, network string) mo.VirtualMachine {
	t.Helper()
	vm := addNICBehindServer(t, e, name, network)
	e.Fresh(t)
	return vm
}

// addNICBehindServer gives a VM one more virtual NIC through vSphere directly
// and returns the VM as it now is; the server learns of it from its update
// stream, in its own time.
func addNICBehindServer(t *testing.T, e *testenv.Env, name, network string) mo.VirtualMachine {
	t.Helper()
	ctx := context.Background()
	vm := vmByName(t, e, name)
	v, err := view.NewManager(e.Vim).CreateContainerView(ctx, e.Vim.ServiceContent.RootFolder, []string{"Network"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	nets, err := v.Find(ctx, []string{"Network"}, property.Match{"name": network})
	if err != nil || len(nets) == 0 {
		t.Fatalf("network %s: %v", network, err)
	}
	backing, err := object.NewNetwork(e.Vim, nets[0]).EthernetCardBackingInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nic, err := object.VirtualDeviceList{}.CreateEthernetCard("e1000", backing)
	if err != nil {
		t.Fatal(err)
	}
	if err := object.NewVirtualMachine(e.Vim, vm.Self).AddDevice(ctx, nic); err != nil {
		t.Fatalf("adding a NIC to %s: %v", name, err)
	}
	return vmByName(t, e, name)
}

// nicKeys are the device keys of a VM's virtual NICs: their performance instances.
func nicKeys(vm mo.VirtualMachine) []string {
	var keys []string
	for _, d := range vm.Config.Hardware.Device {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			keys = append(keys, strconv.Itoa(int(d.GetVirtualDevice().Key)))
		}
	}
	return keys
}

// figureMap is every live figure of one sample (or one window statistic) by
// a flat path such as "cpu.usage_mhz" or "network.nics.4000.rx_kb_per_sec";
// a missing figure has no entry.
type figureMap map[string]float64

func flatten(f vsphere.LiveFigures) figureMap {
	m := figureMap{}
	put := func(path string, v *float64) {
		if v != nil {
			m[path] = *v
		}
	}
	put("cpu.usage_mhz", f.CPU.UsageMHz)
	put("cpu.usage_percent", f.CPU.UsagePercent)
	put("cpu.ready_percent", f.CPU.ReadyPercent)
	put("memory.consumed_mb", f.Memory.ConsumedMB)
	put("memory.active_mb", f.Memory.ActiveMB)
	put("memory.granted_mb", f.Memory.GrantedMB)
	put("memory.usage_percent", f.Memory.UsagePercent)
	put("network.rx_kb_per_sec", f.Network.RxKBPerSec)
	put("network.tx_kb_per_sec", f.Network.TxKBPerSec)
	put("network.usage_kb_per_sec", f.Network.UsageKBPerSec)
	for _, n := range f.Network.NICs {
		put("network.nics."+n.Instance+".rx_kb_per_sec", n.RxKBPerSec)
		put("network.nics."+n.Instance+".tx_kb_per_sec", n.TxKBPerSec)
	}
	put("disk.read_kb_per_sec", f.Disk.ReadKBPerSec)
	put("disk.write_kb_per_sec", f.Disk.WriteKBPerSec)
	put("disk.usage_kb_per_sec", f.Disk.UsageKBPerSec)
	return m
}

// latestFigures are the top-level live sections of a stats result.
func latestFigures(s *vsphere.VMStats) vsphere.LiveFigures {
	return vsphere.LiveFigures{CPU: *s.CPU, Memory: *s.Memory, Network: *s.Network, Disk: *s.Disk}
}

// directSamples queries the performance manager directly, through the test's
// own session, for the samples of interval seconds ending at end, and converts
// them to figures independently of the server's code: one figureMap per
// sample, oldest first.
func directSamples(t *testing.T, e *testenv.Env, vm mo.VirtualMachine, interval int32, first, last time.Time) []figureMap {
	t.Helper()
	ids := counterIDs(t, e)
	nics := nicKeys(vm)
	var metrics []types.PerfMetricId
	for _, name := range []string{"cpu.usagemhz.average", "cpu.usage.average", "cpu.ready.summation", "mem.consumed.average",
		"mem.active.average", "mem.granted.average", "mem.usage.average", "disk.read.average", "disk.write.average",
		"net.usage.average", "disk.usage.average"} {
		metrics = append(metrics, types.PerfMetricId{CounterId: ids[name]})
	}
	for _, name := range []string{"net.received.average", "net.transmitted.average"} {
		for _, k := range nics {
			metrics = append(metrics, types.PerfMetricId{CounterId: ids[name], Instance: k})
		}
	}
	start := first.Add(-time.Second)
	res, err := methods.QueryPerf(context.Background(), e.Vim, &types.QueryPerf{
		This: *e.Vim.ServiceContent.PerfManager,
		QuerySpec: []types.PerfQuerySpec{{
			Entity: vm.Self, MetricId: metrics, IntervalId: interval, StartTime: &start, EndTime: &last, Format: "normal",
		}},
	})
	if err != nil || len(res.Returnval) != 1 {
		t.Fatalf("QueryPerf directly: %v", err)
	}
	m := res.Returnval[0].(*types.PerfEntityMetric)
	value := func(name, instance string, i int) float64 {
		for _, s := range m.Value {
			s := s.(*types.PerfMetricIntSeries)
			if s.Id.CounterId == ids[name] && s.Id.Instance == instance {
				return float64(s.Value[i])
			}
		}
		t.Fatalf("direct query returned no %s %q", name, instance)
		return 0
	}
	vcpus := float64(vm.Config.Hardware.NumCPU)
	samples := make([]figureMap, len(m.SampleInfo))
	for i, si := range m.SampleInfo {
		f := figureMap{
			"cpu.usage_mhz":            value("cpu.usagemhz.average", "", i),
			"cpu.usage_percent":        value("cpu.usage.average", "", i) / 100,
			"cpu.ready_percent":        value("cpu.ready.summation", "", i) / (float64(si.Interval) * 1000 * vcpus) * 100,
			"memory.consumed_mb":       value("mem.consumed.average", "", i) / 1024,
			"memory.active_mb":         value("mem.active.average", "", i) / 1024,
			"memory.granted_mb":        value("mem.granted.average", "", i) / 1024,
			"memory.usage_percent":     value("mem.usage.average", "", i) / 100,
			"disk.read_kb_per_sec":     value("disk.read.average", "", i),
			"disk.write_kb_per_sec":    value("disk.write.average", "", i),
			"disk.usage_kb_per_sec":    value("disk.usage.average", "", i),
			"network.usage_kb_per_sec": value("net.usage.average", "", i),
		}
		for _, k := range nics {
			rx, tx := value("net.received.average", k, i), value("net.transmitted.average", k, i)
			f["network.nics."+k+".rx_kb_per_sec"], f["network.nics."+k+".tx_kb_per_sec"] = rx, tx
			f["network.rx_kb_per_sec"] += rx
			f["network.tx_kb_per_sec"] += tx
		}
		samples[i] = f
	}
	// The simulator lists samples newest first; a real vCenter oldest first.
	if len(m.SampleInfo) > 1 && m.SampleInfo[0].Timestamp.After(m.SampleInfo[1].Timestamp) {
		for i, j := 0, len(samples)-1; i < j; i, j = i+1, j-1 {
			samples[i], samples[j] = samples[j], samples[i]
		}
	}
	return samples
}

// reduce computes one window statistic of every figure.
func reduce(samples []figureMap, stat string) figureMap {
	out := figureMap{}
	for path := range samples[0] {
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, s := range samples {
			lo, hi, sum = math.Min(lo, s[path]), math.Max(hi, s[path]), sum+s[path]
		}
		out[path] = map[string]float64{"min": lo, "max": hi, "avg": sum / float64(len(samples))}[stat]
	}
	return out
}

// sameFigures compares every figure, allowing for the server's rounding to two decimals.
func sameFigures(t *testing.T, what string, got, want figureMap) {
	t.Helper()
	for path, w := range want {
		g, ok := got[path]
		switch {
		case !ok:
			t.Errorf("%s: %s missing (want %v)", what, path, w)
		case math.Abs(g-w) > 0.005+1e-9:
			t.Errorf("%s: %s = %v, want %v (read from the performance manager)", what, path, g, w)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("%s: unexpected figure %s", what, path)
		}
	}
}
