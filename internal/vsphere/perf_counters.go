package vsphere

import (
	"github.com/vmware/govmomi/vim25/types"
)

// The performance counters a stats read asks for, by vSphere's full name
// (group.name.rollup). Their numeric ids differ between vCenter and ESXi and
// between versions, so they are always resolved through the catalogue.
const (
	ctrCPUUsageMHz = "cpu.usagemhz.average"    // MHz
	ctrCPUUsage    = "cpu.usage.average"       // hundredths of a percent
	ctrCPUReady    = "cpu.ready.summation"     // milliseconds per sample interval
	ctrMemConsumed = "mem.consumed.average"    // KB
	ctrMemActive   = "mem.active.average"      // KB
	ctrMemGranted  = "mem.granted.average"     // KB
	ctrMemUsage    = "mem.usage.average"       // hundredths of a percent
	ctrNetReceived = "net.received.average"    // KB/s
	ctrNetTransmit = "net.transmitted.average" // KB/s
	ctrDiskRead    = "disk.read.average"       // KB/s
	ctrDiskWrite   = "disk.write.average"      // KB/s
	// Statistics level 1, which vCenter's historical intervals keep by
	// default, has neither net.received/transmitted, disk.read/write nor
	// mem.granted in its rollups, but has these totals.
	ctrNetUsage  = "net.usage.average"  // KB/s, received + transmitted
	ctrDiskUsage = "disk.usage.average" // KB/s, read + written
)

// PerformanceManager properties the catalogue is read from.
const (
	perfPropCounter = "perfCounter"
	perfPropHistory = "historicalInterval"
)

// statsCounters are every counter of a stats read, in query order.
var statsCounters = []string{
	ctrCPUUsageMHz, ctrCPUUsage, ctrCPUReady,
	ctrMemConsumed, ctrMemActive, ctrMemGranted, ctrMemUsage,
	ctrNetReceived, ctrNetTransmit, ctrNetUsage,
	ctrDiskRead, ctrDiskWrite, ctrDiskUsage,
}

// perNICCounters are asked for per virtual NIC as well as for the VM as a whole.
var perNICCounters = []string{ctrNetReceived, ctrNetTransmit}

// perfCatalogue is what stats need from the PerformanceManager: counter ids by
// name and the historical intervals. The catalogue is large (hundreds of
// counters) and stable for the life of a vCenter, so a Client reads it once,
// in one property retrieval on its first stats read of a powered-on VM, and
// keeps it.
type perfCatalogue struct {
	ids       map[string]int32
	intervals []types.PerfInterval
}

func newPerfCatalogue(counters []types.PerfCounterInfo, intervals []types.PerfInterval) *perfCatalogue {
	pc := &perfCatalogue{ids: make(map[string]int32, len(counters)), intervals: intervals}
	for _, c := range counters {
		name := counterName(c)
		// A name should be unique; should a server list it twice, the first wins.
		if _, dup := pc.ids[name]; !dup {
			pc.ids[name] = c.Key
		}
	}
	return pc
}

// counterName is vSphere's full counter name, e.g. "cpu.usagemhz.average".
func counterName(c types.PerfCounterInfo) string {
	var group, name string
	if c.GroupInfo != nil {
		group = c.GroupInfo.GetElementDescription().Key
	}
	if c.NameInfo != nil {
		name = c.NameInfo.GetElementDescription().Key
	}
	return group + "." + name + "." + string(c.RollupType)
}

// id returns the counter id of a full counter name.
func (pc *perfCatalogue) id(name string) (int32, bool) {
	id, ok := pc.ids[name]
	return id, ok
}

// historical returns the enabled historical interval with the given sampling
// period in seconds (300 for the 5-minute rollups).
func (pc *perfCatalogue) historical(period int32) (types.PerfInterval, bool) {
	for _, iv := range pc.intervals {
		if iv.SamplingPeriod == period && iv.Enabled {
			return iv, true
		}
	}
	return types.PerfInterval{}, false
}
