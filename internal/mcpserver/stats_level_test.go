package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// notAtLevelOne are the counters vCenter's 5-minute rollups lack at
// statistics level 1, its default.
var notAtLevelOne = []string{"net.received.average", "net.transmitted.average", "disk.read.average", "disk.write.average", "mem.granted.average", "mem.active.average"}

// levelOnePerf makes the simulator's historical (5-minute) samples those of a
// vCenter at statistics level 1: series of the counters that level does not
// keep are absent, for every instance. The simulator keeps every counter at
// every interval; a real vCenter at level 1 answers like this.
type levelOnePerf struct {
	*stablePerf
	dropped map[int32]bool
}

func (p *levelOnePerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	body := p.stablePerf.QueryPerf(ctx, req).(*methods.QueryPerfBody)
	if body.Res == nil {
		return body
	}
	for i, r := range body.Res.Returnval {
		m, ok := r.(*types.PerfEntityMetric)
		if !ok || req.QuerySpec[i].IntervalId != 300 {
			continue
		}
		var kept []types.BasePerfMetricSeries
		for _, v := range m.Value {
			if !p.dropped[v.(*types.PerfMetricIntSeries).Id.CounterId] {
				kept = append(kept, v)
			}
		}
		m.Value = kept
	}
	return body
}

// atLevelOne installs levelOnePerf (over stablePerf's repeatable data).
func atLevelOne(t *testing.T, e *testenv.Env) {
	t.Helper()
	stabilize(t, e)
	reg := e.Sim.Model().Map()
	stable := reg.Get(*e.Vim.ServiceContent.PerfManager).(*stablePerf)
	ids := counterIDs(t, e)
	p := &levelOnePerf{stablePerf: stable, dropped: map[int32]bool{}}
	for _, name := range notAtLevelOne {
		p.dropped[ids[name]] = true
	}
	reg.Put(p)
}

// TestVMStatsLevelOneRollups: over windows served from 5-minute rollups kept
// at statistics level 1, network and disk traffic come from the level-1
// totals (net.usage, disk.usage) instead of being null, each figure says its
// counter, and the figures level 1 lacks are null with a note naming the
// stand-in. Real-time windows keep the detailed counters.
func TestVMStatsLevelOneRollups(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	atLevelOne(t, e)
	const on = "DC0_C0_RP0_VM0"

	s := getStats(t, e, map[string]any{"name": on, "window_minutes": 180})
	if s.Sample == nil || s.Sample.Source != vsphere.SourceHistorical {
		t.Fatalf("sample %+v, want historical", s.Sample)
	}
	latest := flatten(latestFigures(s))
	for _, null := range []string{"network.rx_kb_per_sec", "network.tx_kb_per_sec", "disk.read_kb_per_sec", "disk.write_kb_per_sec", "memory.granted_mb", "memory.active_mb"} {
		if v, ok := latest[null]; ok {
			t.Errorf("%s = %v; level 1 keeps no such counter, want null", null, v)
		}
		if c, ok := s.Counters[null]; ok {
			t.Errorf("counters name %s for the null figure %s", c, null)
		}
	}
	direct := directLevelOne(t, e, s)
	for fig, counter := range map[string]string{
		"network.usage_kb_per_sec": "net.usage.average",
		"disk.usage_kb_per_sec":    "disk.usage.average",
		"cpu.usage_mhz":            "cpu.usagemhz.average",
		"memory.consumed_mb":       "mem.consumed.average",
	} {
		got, ok := latest[fig]
		if !ok {
			t.Errorf("%s is null; want it from %s", fig, counter)
			continue
		}
		if want := direct[fig]; got < want-0.005 || got > want+0.005 {
			t.Errorf("%s = %v, want %v (%s read directly)", fig, got, want, counter)
		}
		if s.Counters[fig] != counter {
			t.Errorf("counters[%s] = %q, want %q", fig, s.Counters[fig], counter)
		}
	}
	notes := strings.Join(s.Notes, "\n")
	for _, want := range []string{"network.usage_kb_per_sec is received + transmitted, from net.usage.average",
		"disk.usage_kb_per_sec is read + written, from disk.usage.average", "memory.granted_mb is null"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes do not say %q:\n%s", want, notes)
		}
	}
	if s.Window == nil || s.Window.Avg.Network.UsageKBPerSec == nil || s.Window.Max.Disk.UsageKBPerSec == nil {
		t.Errorf("window statistics lack the level-1 totals: %+v", s.Window)
	}

	rt := getStats(t, e, map[string]any{"name": on, "window_minutes": 30})
	if rt.Network.RxKBPerSec == nil || rt.Disk.ReadKBPerSec == nil || rt.Counters["network.rx_kb_per_sec"] != "net.received.average" {
		t.Errorf("real-time samples keep every counter; got network %+v, disk %+v, counters %v", rt.Network, rt.Disk, rt.Counters)
	}
}

// directLevelOne reads the latest sample of the level-1 totals directly.
func directLevelOne(t *testing.T, e *testenv.Env, s *vsphere.VMStats) figureMap {
	t.Helper()
	v := vmByName(t, e, s.VM.Name)
	ids := counterIDs(t, e)
	last := s.Sample.LastSampleTime
	start := last.Add(-1)
	res, err := methods.QueryPerf(t.Context(), e.Vim, &types.QueryPerf{
		This: *e.Vim.ServiceContent.PerfManager,
		QuerySpec: []types.PerfQuerySpec{{Entity: v.Self, IntervalId: 300, StartTime: &start, EndTime: &last, Format: "normal",
			MetricId: []types.PerfMetricId{{CounterId: ids["net.usage.average"]}, {CounterId: ids["disk.usage.average"]},
				{CounterId: ids["cpu.usagemhz.average"]}, {CounterId: ids["mem.consumed.average"]}}}},
	})
	if err != nil || len(res.Returnval) != 1 {
		t.Fatalf("QueryPerf directly: %v", err)
	}
	m := res.Returnval[0].(*types.PerfEntityMetric)
	out := figureMap{}
	for _, series := range m.Value {
		is := series.(*types.PerfMetricIntSeries)
		if len(is.Value) == 0 {
			continue
		}
		val := float64(is.Value[0])
		switch is.Id.CounterId {
		case ids["net.usage.average"]:
			out["network.usage_kb_per_sec"] = val
		case ids["disk.usage.average"]:
			out["disk.usage_kb_per_sec"] = val
		case ids["cpu.usagemhz.average"]:
			out["cpu.usage_mhz"] = val
		case ids["mem.consumed.average"]:
			out["memory.consumed_mb"] = val / 1024
		}
	}
	return out
}
