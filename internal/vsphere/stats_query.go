package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// Windows and intervals.
const (
	// MaxStatsWindowMinutes is the longest window: the 5-minute rollups cover a day.
	MaxStatsWindowMinutes = 24 * 60
	// MaxRealtimeWindowMinutes is the longest window served from real-time samples,
	// which vCenter keeps for about an hour.
	MaxRealtimeWindowMinutes = 60
	realtimeInterval         = 20  // seconds: vSphere's real-time sampling period
	rollupInterval           = 300 // seconds: the "past day" historical interval
)

// perfQuery is one performance query: its spec and where its samples come from.
type perfQuery struct {
	spec   types.PerfQuerySpec
	source string
	notes  []string
}

// buildQuery asks for every stats counter of the VM, per virtual NIC for the
// network counters, in one spec. It names the instances it wants instead of
// listing what QueryAvailablePerfMetric offers: that list is incomplete (it
// omits disk.* for VMs on the simulator) and costs a request. The empty
// instance is the VM as a whole.
func (t *statsTarget) buildQuery(window int, now time.Time) (*perfQuery, error) {
	q := &perfQuery{spec: types.PerfQuerySpec{Entity: t.ref, Format: string(types.PerfFormatNormal)}}
	var missing []string
	for _, name := range statsCounters {
		id, ok := t.catalogue.id(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		q.spec.MetricId = append(q.spec.MetricId, types.PerfMetricId{CounterId: id})
		if slices.Contains(perNICCounters, name) {
			for _, n := range t.nics {
				q.spec.MetricId = append(q.spec.MetricId, types.PerfMetricId{CounterId: id, Instance: strconv.Itoa(int(n.Key))})
			}
		}
	}
	if len(missing) > 0 {
		q.notes = append(q.notes, "this vSphere has no performance counter "+strings.Join(missing, ", "))
	}

	switch {
	case window == 0:
		q.source = SourceRealtime
		q.spec.IntervalId = realtimeInterval
		q.spec.MaxSample = 1
	case window <= MaxRealtimeWindowMinutes:
		// The newest samples by count: no start time, so no dependence on the
		// skew between this machine's clock and vCenter's.
		q.source = SourceRealtime
		q.spec.IntervalId = realtimeInterval
		q.spec.MaxSample = int32(window * 60 / realtimeInterval)
	default:
		iv, ok := t.catalogue.historical(rollupInterval)
		if !ok {
			return nil, fmt.Errorf("the 5-minute historical statistics interval is disabled on this vSphere; use a window of at most %d minutes", MaxRealtimeWindowMinutes)
		}
		if int64(window)*60 > int64(iv.Length) {
			return nil, fmt.Errorf("this vSphere keeps 5-minute statistics for %d minutes; use a window of at most that", iv.Length/60)
		}
		// Historical queries ignore MaxSample; the window starts on this
		// machine's clock.
		q.source = SourceHistorical
		q.spec.IntervalId = rollupInterval
		start := now.Add(-time.Duration(window) * time.Minute)
		q.spec.StartTime = &start
	}
	return q, nil
}

// queryPerf runs the one performance query of a stats read.
func (c *Client) queryPerf(ctx context.Context, spec types.PerfQuerySpec) (*types.PerfEntityMetric, error) {
	res, err := methods.QueryPerf(ctx, c.vim, &types.QueryPerf{
		This:      *c.vim.ServiceContent.PerfManager,
		QuerySpec: []types.PerfQuerySpec{spec},
	})
	if err != nil {
		return nil, err
	}
	for _, r := range res.Returnval {
		if m, ok := r.(*types.PerfEntityMetric); ok && len(m.SampleInfo) > 0 {
			return m, nil
		}
	}
	return nil, nil
}

// perfSamples are the aligned series of one query, by metric id.
type perfSamples struct {
	axis      sampleAxis
	byID      map[types.PerfMetricId]series
	unaligned []string // counters whose values could not be placed on samples
}

func newPerfSamples(m *types.PerfEntityMetric, names map[int32]string) *perfSamples {
	p := &perfSamples{axis: newSampleAxis(m.SampleInfo), byID: map[types.PerfMetricId]series{}}
	for _, v := range m.Value {
		s, isInt := v.(*types.PerfMetricIntSeries)
		if !isInt {
			continue
		}
		aligned, ok := p.axis.align(s.Value)
		if !ok {
			p.unaligned = append(p.unaligned, names[s.Id.CounterId]+" "+s.Id.Instance)
		}
		p.byID[s.Id] = aligned
	}
	return p
}

// get returns a counter's series for an instance; nil when vSphere sent none.
func (p *perfSamples) get(cat *perfCatalogue, name, instance string) series {
	id, ok := cat.id(name)
	if !ok {
		return nil
	}
	return p.byID[types.PerfMetricId{CounterId: id, Instance: instance}]
}
