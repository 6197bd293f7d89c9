package vsphere

import (
	"math"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

func ptrsEqual(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSampleAxisAlign(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	at := func(i int) types.PerfSampleInfo {
		return types.PerfSampleInfo{Timestamp: t0.Add(time.Duration(i) * 20 * time.Second), Interval: 20}
	}
	nan := math.NaN()
	cases := []struct {
		name   string
		info   []types.PerfSampleInfo
		values []int64
		want   series
		ok     bool
	}{
		{"oldest first (vCenter)", []types.PerfSampleInfo{at(0), at(1), at(2)}, []int64{1, 2, 3}, series{1, 2, 3}, true},
		{"newest first (simulator)", []types.PerfSampleInfo{at(2), at(1), at(0)}, []int64{3, 2, 1}, series{1, 2, 3}, true},
		{"-1 is a missing value", []types.PerfSampleInfo{at(0), at(1)}, []int64{-1, 5}, series{nan, 5}, true},
		{"no values: all zeros dropped by the simulator", []types.PerfSampleInfo{at(0), at(1)}, nil, series{0, 0}, true},
		{"some zeros dropped: positions unknown", []types.PerfSampleInfo{at(0), at(1), at(2)}, []int64{4, 6}, series{nan, nan, nan}, false},
		{"more values than samples", []types.PerfSampleInfo{at(0)}, []int64{4, 6}, series{nan}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			axis := newSampleAxis(c.info)
			got, ok := axis.align(c.values)
			if ok != c.ok || len(got) != len(c.want) {
				t.Fatalf("align = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
			for i := range got {
				if got[i] != c.want[i] && !(math.IsNaN(got[i]) && math.IsNaN(c.want[i])) {
					t.Errorf("align = %v, want %v", got, c.want)
				}
			}
			if !axis.times[0].Equal(t0) {
				t.Errorf("first sample %v, want the oldest %v", axis.times[0], t0)
			}
		})
	}
}

func TestReducers(t *testing.T) {
	nan := math.NaN()
	num := func(v float64) *float64 { return &v }
	cases := []struct {
		name                   string
		s                      series
		latest, lo, mean, high *float64
	}{
		{"plain", series{3, 1, 2}, num(2), num(1), num(2), num(3)},
		{"missing values are skipped", series{nan, 4, nan, 8}, num(8), num(4), num(6), num(8)},
		{"missing latest", series{4, nan}, nil, num(4), num(4), num(4)},
		{"all missing", series{nan, nan}, nil, nil, nil, nil},
		{"absent counter", nil, nil, nil, nil, nil},
		{"rounded to two decimals", series{1, 2, 2}, num(2), num(1), num(1.67), num(2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				f    reducer
				want *float64
			}{{"latest", latestValue, c.latest}, {"min", minValue, c.lo}, {"mean", meanValue, c.mean}, {"max", maxValue, c.high}} {
				if got := r.f(c.s); !ptrsEqual(got, r.want) {
					t.Errorf("%s(%v) = %v, want %v", r.name, c.s, show(got), show(r.want))
				}
			}
		})
	}
}

func TestSumSeries(t *testing.T) {
	nan := math.NaN()
	got := sumSeries([]series{{1, nan, nan, 4}, {10, 20, nan, 40}})
	want := series{11, 20, nan, 44}
	for i := range want {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("sumSeries = %v, want %v", got, want)
		}
	}
	if sumSeries(nil) != nil {
		t.Errorf("sum of no series should be absent (nil)")
	}
}

func TestPerfCatalogue(t *testing.T) {
	desc := func(k string) *types.ElementDescription { return &types.ElementDescription{Key: k} }
	cat := newPerfCatalogue([]types.PerfCounterInfo{
		{Key: 6, GroupInfo: desc("cpu"), NameInfo: desc("usagemhz"), RollupType: "average"},
		{Key: 7, GroupInfo: desc("cpu"), NameInfo: desc("usagemhz"), RollupType: "maximum"},
		{Key: 99, GroupInfo: desc("cpu"), NameInfo: desc("usagemhz"), RollupType: "average"}, // duplicate: first wins
	}, []types.PerfInterval{
		{SamplingPeriod: 300, Length: 86400, Enabled: false},
		{SamplingPeriod: 1800, Length: 604800, Enabled: true},
	})
	if id, ok := cat.id("cpu.usagemhz.average"); !ok || id != 6 {
		t.Errorf("id(cpu.usagemhz.average) = %d, %v; want 6", id, ok)
	}
	if _, ok := cat.id("cpu.usagemhz.none"); ok {
		t.Errorf("id of an unknown counter found")
	}
	if _, ok := cat.historical(300); ok {
		t.Errorf("a disabled interval was offered")
	}
	if iv, ok := cat.historical(1800); !ok || iv.Length != 604800 {
		t.Errorf("historical(1800) = %+v, %v", iv, ok)
	}
}
