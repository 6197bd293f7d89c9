package vsphere

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// GetVMStats reads the performance and storage of one VM. Without a window
// (windowMinutes 0) the live sections are the latest real-time sample; with a
// window of up to an hour they summarise its 20-second samples, and up to a
// day its 5-minute rollups. The VM, its configuration and storage come from
// the inventory mirror; at steady state the read costs one SOAP request, the
// performance query, and none for a VM that is not powered on (a Client's
// first read of a powered-on VM also reads the counter catalogue, once).
func (c *Client) GetVMStats(ctx context.Context, reference string, windowMinutes int) (*VMStats, error) {
	if windowMinutes < 0 || windowMinutes > MaxStatsWindowMinutes {
		return nil, fmt.Errorf("window_minutes must be between 1 and %d (24 hours), got %d", MaxStatsWindowMinutes, windowMinutes)
	}
	t, err := c.statsTarget(ctx, reference)
	if err != nil {
		return nil, err
	}
	out := &VMStats{
		VM:         t.identity,
		PowerState: t.powerState,
		CPUs:       t.numCPU,
		MemoryMB:   t.memoryMB,
		Storage:    t.storage,
		Freshness:  c.freshness(),
	}
	out.Notes = append(out.Notes, t.notes...)
	if !t.hasStorage {
		out.Notes = append(out.Notes, "vSphere reports no storage summary for this VM (it may be inaccessible)")
	}
	if t.powerState != string(types.VirtualMachinePowerStatePoweredOn) {
		state := out.PowerState
		if state == "" {
			state = "in an unknown power state (vSphere did not return it)"
		}
		out.Notes = append(out.Notes, fmt.Sprintf("the VM is %s: no live performance samples exist, so cpu, memory, network and disk are null; storage is current", state))
		return out, nil
	}

	cat, notes, err := c.perfCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	t.catalogue = cat
	out.Notes = append(out.Notes, notes...)
	q, err := t.buildQuery(windowMinutes, time.Now())
	if err != nil {
		return nil, err
	}
	out.Notes = append(out.Notes, q.notes...)
	if len(q.spec.MetricId) == 0 {
		return out, nil
	}
	m, err := c.queryPerf(ctx, q.spec)
	if err != nil {
		if vmGone(err, t.ref) {
			return nil, &NotFoundError{Kind: "VM", Ref: reference}
		}
		return nil, describeFault(fmt.Sprintf("querying performance samples of VM %s", t.ref.Value), err)
	}
	if m == nil {
		out.Notes = append(out.Notes, "vSphere returned no performance samples for this VM (a VM powered on in the last minute has none yet, and historical rollups appear after up to 30 minutes)")
		return out, nil
	}
	t.report(out, q, m, windowMinutes)
	return out, nil
}

// report fills the live sections, the sample description and the window.
func (t *statsTarget) report(out *VMStats, q *perfQuery, m *types.PerfEntityMetric, window int) {
	names := make(map[int32]string, len(statsCounters))
	for _, name := range statsCounters {
		if id, ok := t.catalogue.id(name); ok {
			names[id] = name
		}
	}
	p := newPerfSamples(m, names)
	live := t.liveSeries(p)
	latest := live.figures(latestValue)

	n := p.axis.len()
	out.Live = true
	out.Sample = &SampleInfo{
		Source:          q.source,
		IntervalSeconds: p.axis.intervals[n-1],
		SampleCount:     n,
		FirstSampleTime: p.axis.times[0],
		LastSampleTime:  p.axis.times[n-1],
	}
	out.CPU, out.Memory, out.Network, out.Disk = &latest.CPU, &latest.Memory, &latest.Network, &latest.Disk
	if window > 0 {
		out.Window = &WindowStats{
			Minutes: window,
			Min:     live.figures(minValue),
			Avg:     live.figures(meanValue),
			Max:     live.figures(maxValue),
		}
	}
	if len(p.unaligned) > 0 {
		out.Notes = append(out.Notes, "values of "+strings.Join(p.unaligned, ", ")+" did not match the sample times and are left out")
	}
	out.Counters = live.counters()
	if miss := live.missing(); len(miss) > 0 {
		out.Notes = append(out.Notes, "vSphere has no value at the latest sample for "+strings.Join(miss, ", ")+
			" (the statistics level of the interval may not collect it); those figures are null")
	}
	out.Notes = append(out.Notes, live.fallbacks()...)
}

const bytesPerGB = 1 << 30

func gb(bytes int64) float64 { return math.Round(float64(bytes)/bytesPerGB*100) / 100 }
