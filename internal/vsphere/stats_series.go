package vsphere

import (
	"math"
	"slices"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// series is one figure per sample, oldest first; NaN marks a missing value.
type series []float64

// sampleAxis orders a performance query's samples by time. vSphere lists them
// oldest first; the simulator lists them newest first: never assume either.
type sampleAxis struct {
	times     []time.Time
	intervals []int32
	order     []int // order[i] is the response position of the i-th oldest sample
}

func newSampleAxis(info []types.PerfSampleInfo) sampleAxis {
	a := sampleAxis{order: make([]int, len(info))}
	for i := range a.order {
		a.order[i] = i
	}
	slices.SortStableFunc(a.order, func(x, y int) int { return info[x].Timestamp.Compare(info[y].Timestamp) })
	for _, i := range a.order {
		a.times = append(a.times, info[i].Timestamp.UTC())
		a.intervals = append(a.intervals, info[i].Interval)
	}
	return a
}

func (a sampleAxis) len() int { return len(a.order) }

// align puts a series' raw values in sample order. vSphere sends one value per
// sample, -1 where it has none. The simulator drops zero values from its XML
// (omitempty), so a series shorter than the samples has lost zeros: with no
// values left it is all zeros; with some left, their positions are unknowable,
// and the whole series is reported missing (ok false) rather than guessed.
func (a sampleAxis) align(values []int64) (s series, ok bool) {
	s = make(series, a.len())
	switch len(values) {
	case a.len():
		for i, pos := range a.order {
			if v := values[pos]; v < 0 {
				s[i] = math.NaN()
			} else {
				s[i] = float64(v)
			}
		}
		return s, true
	case 0:
		return s, true
	}
	for i := range s {
		s[i] = math.NaN()
	}
	return s, false
}

// scale multiplies every value; a nil series stays nil.
func (s series) scale(f float64) series {
	if s == nil {
		return nil
	}
	out := make(series, len(s))
	for i, v := range s {
		out[i] = v * f
	}
	return out
}

// sumSeries adds series sample by sample. A sample is the sum of the values
// present; it is missing only when every series misses it.
func sumSeries(all []series) series {
	if len(all) == 0 {
		return nil
	}
	out := make(series, len(all[0]))
	for i := range out {
		sum, seen := 0.0, false
		for _, s := range all {
			if !math.IsNaN(s[i]) {
				sum, seen = sum+s[i], true
			}
		}
		if !seen {
			sum = math.NaN()
		}
		out[i] = sum
	}
	return out
}

// A reducer turns a series into one figure, nil when it has no value.
type reducer func(series) *float64

// latestValue is the newest sample's value.
func latestValue(s series) *float64 {
	if len(s) == 0 {
		return nil
	}
	return figure(s[len(s)-1])
}

func minValue(s series) *float64 {
	return fold(s, func(acc, v float64) float64 { return math.Min(acc, v) }, nil)
}

func maxValue(s series) *float64 {
	return fold(s, func(acc, v float64) float64 { return math.Max(acc, v) }, nil)
}

func meanValue(s series) *float64 {
	return fold(s, func(acc, v float64) float64 { return acc + v }, func(sum float64, n int) float64 { return sum / float64(n) })
}

// fold combines the present values of s; finish, when set, gets the count.
func fold(s series, step func(acc, v float64) float64, finish func(float64, int) float64) *float64 {
	acc, n := 0.0, 0
	for _, v := range s {
		if math.IsNaN(v) {
			continue
		}
		if n == 0 {
			acc = v
		} else {
			acc = step(acc, v)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	if finish != nil {
		acc = finish(acc, n)
	}
	return figure(acc)
}

// figure rounds a reported value to two decimals; NaN is no value.
func figure(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	r := math.Round(v*100) / 100
	return &r
}
