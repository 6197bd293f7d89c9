package mcpserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestVMStatsWindow: windows up to an hour read 20-second samples, longer ones
// 5-minute rollups; the sample description is consistent with the interval;
// min <= avg <= max for every figure; and, with repeatable data, every
// statistic equals the one computed from the same samples read directly.
func TestVMStatsWindow(t *testing.T) {
	cases := []struct {
		model    int // index into models
		minutes  int
		source   string
		interval int32
		stock    bool // the simulator's own random data: no exact comparison
	}{
		{0, 1, vsphere.SourceRealtime, 20, false},
		{0, 10, vsphere.SourceRealtime, 20, false},
		{0, 60, vsphere.SourceRealtime, 20, false},
		{0, 61, vsphere.SourceHistorical, 300, false},
		{0, 1440, vsphere.SourceHistorical, 300, false},
		{0, 30, vsphere.SourceRealtime, 20, true},
		{0, 180, vsphere.SourceHistorical, 300, true},
		{1, 30, vsphere.SourceRealtime, 20, false},
		{1, 240, vsphere.SourceHistorical, 300, false},
	}
	// One environment per model and kind of data, shared by its cases.
	envs := map[[2]any]*testenv.Env{}
	for _, c := range cases {
		if key := [2]any{c.model, c.stock}; envs[key] == nil {
			envs[key] = testenv.New(t, models[c.model].opts)
			if !c.stock {
				stabilize(t, envs[key])
			}
		}
	}
	for _, c := range cases {
		m := models[c.model]
		name := m.name + "/" + time.Duration(c.minutes*int(time.Minute)).String()
		if c.stock {
			name += "/stock simulator data"
		}
		t.Run(name, func(t *testing.T) {
			e := envs[[2]any{c.model, c.stock}]
			s := getStats(t, e, map[string]any{"name": m.vm, "window_minutes": c.minutes})
			checkWindowShape(t, s, c.minutes, c.source, c.interval)
			if c.stock || t.Failed() {
				return
			}
			direct := directSamples(t, e, vmByName(t, e, m.vm), c.interval, s.Sample.FirstSampleTime, s.Sample.LastSampleTime)
			if len(direct) != s.Sample.SampleCount {
				t.Fatalf("direct query returned %d samples, the tool reported %d", len(direct), s.Sample.SampleCount)
			}
			sameFigures(t, "latest sample", flatten(latestFigures(s)), direct[len(direct)-1])
			sameFigures(t, "window min", flatten(s.Window.Min), reduce(direct, "min"))
			sameFigures(t, "window avg", flatten(s.Window.Avg), reduce(direct, "avg"))
			sameFigures(t, "window max", flatten(s.Window.Max), reduce(direct, "max"))
		})
	}
}

func checkWindowShape(t *testing.T, s *vsphere.VMStats, minutes int, source string, interval int32) {
	t.Helper()
	if s.Window == nil || s.Sample == nil {
		t.Fatalf("window = %v, sample = %v; want both", s.Window, s.Sample)
	}
	if s.Window.Minutes != minutes || s.Sample.Source != source || s.Sample.IntervalSeconds != interval {
		t.Errorf("window %d min, source %s, interval %d s; want %d, %s, %d",
			s.Window.Minutes, s.Sample.Source, s.Sample.IntervalSeconds, minutes, source, interval)
	}
	n := s.Sample.SampleCount
	if most := minutes*60/int(interval) + 1; n < 1 || n > most {
		t.Errorf("%d samples in a %d-minute window of %d-second samples; want 1 to %d", n, minutes, interval, most)
	}
	span := s.Sample.LastSampleTime.Sub(s.Sample.FirstSampleTime)
	if want := time.Duration(n-1) * time.Duration(interval) * time.Second; span != want {
		t.Errorf("first to last sample %v apart for %d samples of %d s; want %v", span, n, interval, want)
	}
	lo, avg, hi := flatten(s.Window.Min), flatten(s.Window.Avg), flatten(s.Window.Max)
	latest := flatten(latestFigures(s))
	if len(lo) < 13 || len(lo) != len(avg) || len(avg) != len(hi) || len(hi) != len(latest) {
		t.Fatalf("window figures: %d min, %d avg, %d max, %d latest; want the same full set", len(lo), len(avg), len(hi), len(latest))
	}
	for path := range lo {
		if !(lo[path] <= avg[path] && avg[path] <= hi[path]) {
			t.Errorf("%s: min %v, avg %v, max %v", path, lo[path], avg[path], hi[path])
		}
		if l := latest[path]; l < lo[path] || l > hi[path] {
			t.Errorf("%s: latest sample %v outside [%v, %v]", path, l, lo[path], hi[path])
		}
	}
}

// TestVMStatsWindowBounds: windows the schema or the server refuse.
func TestVMStatsWindowBounds(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	for _, minutes := range []int{0, -5, 1441} {
		msg := testenv.CallErr(t, e, "get_vm_stats", map[string]any{"name": "DC0_H0_VM0", "window_minutes": minutes})
		if !strings.Contains(msg, "window_minutes") {
			t.Errorf("window_minutes %d: error %q does not name window_minutes", minutes, msg)
		}
	}
}
