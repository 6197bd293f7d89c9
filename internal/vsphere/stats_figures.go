package vsphere

import (
	"strconv"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// liveSeries are the reported figures of every sample, in report units.
type liveSeries struct {
	cpuMHz, cpuPercent, cpuReady                   series
	memConsumed, memActive, memGranted, memPercent series
	rx, tx, netUsage                               series
	nics                                           []nicSeries
	diskRead, diskWrite, diskUsage                 series
}

type nicSeries struct {
	nic    inventory.NIC
	rx, tx series
}

const kbPerMB = 1024

// liveSeries converts raw counter values to report units.
func (t *statsTarget) liveSeries(p *perfSamples) *liveSeries {
	cat := t.catalogue
	get := func(name string) series { return p.get(cat, name, "") }
	l := &liveSeries{
		cpuMHz:      get(ctrCPUUsageMHz),
		cpuPercent:  get(ctrCPUUsage).scale(0.01), // hundredths of a percent
		cpuReady:    t.readyPercent(get(ctrCPUReady), p.axis),
		memConsumed: get(ctrMemConsumed).scale(1.0 / kbPerMB),
		memActive:   get(ctrMemActive).scale(1.0 / kbPerMB),
		memGranted:  get(ctrMemGranted).scale(1.0 / kbPerMB),
		memPercent:  get(ctrMemUsage).scale(0.01),
		diskRead:    get(ctrDiskRead),
		diskWrite:   get(ctrDiskWrite),
		diskUsage:   get(ctrDiskUsage),
		netUsage:    get(ctrNetUsage),
	}

	// Network totals are the sum over the VM's virtual NICs, each identified
	// by its device key; physical uplink instances (vmnic0...) that vCenter
	// also reports for a VM are not counted. Without per-NIC series (rollups
	// kept at a low statistics level) the VM-wide series is the total.
	var rxs, txs []series
	for _, n := range t.nics {
		inst := strconv.Itoa(int(n.Key))
		rx, tx := p.get(cat, ctrNetReceived, inst), p.get(cat, ctrNetTransmit, inst)
		if rx == nil && tx == nil {
			continue
		}
		l.nics = append(l.nics, nicSeries{nic: n, rx: rx, tx: tx})
		if rx != nil {
			rxs = append(rxs, rx)
		}
		if tx != nil {
			txs = append(txs, tx)
		}
	}
	l.rx, l.tx = sumSeries(rxs), sumSeries(txs)
	if l.rx == nil {
		l.rx = get(ctrNetReceived)
	}
	if l.tx == nil {
		l.tx = get(ctrNetTransmit)
	}
	return l
}

// readyPercent turns ready milliseconds per sample into % of the sample
// interval, averaged over the vCPUs (the VM-wide counter sums them).
func (t *statsTarget) readyPercent(ms series, axis sampleAxis) series {
	if ms == nil {
		return nil
	}
	vcpus := float64(1)
	if t.numCPU > 0 {
		vcpus = float64(t.numCPU)
	}
	out := make(series, len(ms))
	for i, v := range ms {
		iv := float64(axis.intervals[i])
		if iv <= 0 {
			iv = realtimeInterval
		}
		out[i] = v / (iv * 1000 * vcpus) * 100
	}
	return out
}

// figures reduces every series to one figure with r.
func (l *liveSeries) figures(r reducer) LiveFigures {
	f := LiveFigures{
		CPU: CPUFigures{UsageMHz: r(l.cpuMHz), UsagePercent: r(l.cpuPercent), ReadyPercent: r(l.cpuReady)},
		Memory: MemoryFigures{
			ConsumedMB: r(l.memConsumed), ActiveMB: r(l.memActive),
			GrantedMB: r(l.memGranted), UsagePercent: r(l.memPercent),
		},
		Network: NetworkFigures{RxKBPerSec: r(l.rx), TxKBPerSec: r(l.tx), UsageKBPerSec: r(l.netUsage), NICs: []NICFigures{}},
		Disk:    DiskFigures{ReadKBPerSec: r(l.diskRead), WriteKBPerSec: r(l.diskWrite), UsageKBPerSec: r(l.diskUsage)},
	}
	for _, n := range l.nics {
		f.Network.NICs = append(f.Network.NICs, NICFigures{
			Instance: strconv.Itoa(int(n.nic.Key)), Label: n.nic.Label, MAC: n.nic.MAC,
			RxKBPerSec: r(n.rx), TxKBPerSec: r(n.tx),
		})
	}
	return f
}

// figureCounter is one reported figure, the counter it comes from and its series.
type figureCounter struct {
	figure, counter string
	s               series
}

func (l *liveSeries) byFigure() []figureCounter {
	return []figureCounter{
		{"cpu.usage_mhz", ctrCPUUsageMHz, l.cpuMHz}, {"cpu.usage_percent", ctrCPUUsage, l.cpuPercent}, {"cpu.ready_percent", ctrCPUReady, l.cpuReady},
		{"memory.consumed_mb", ctrMemConsumed, l.memConsumed}, {"memory.active_mb", ctrMemActive, l.memActive},
		{"memory.granted_mb", ctrMemGranted, l.memGranted}, {"memory.usage_percent", ctrMemUsage, l.memPercent},
		{"network.rx_kb_per_sec", ctrNetReceived, l.rx}, {"network.tx_kb_per_sec", ctrNetTransmit, l.tx}, {"network.usage_kb_per_sec", ctrNetUsage, l.netUsage},
		{"disk.read_kb_per_sec", ctrDiskRead, l.diskRead}, {"disk.write_kb_per_sec", ctrDiskWrite, l.diskWrite}, {"disk.usage_kb_per_sec", ctrDiskUsage, l.diskUsage},
	}
}

// counters maps each figure the latest sample has to its counter.
func (l *liveSeries) counters() map[string]string {
	out := map[string]string{}
	for _, f := range l.byFigure() {
		if latestValue(f.s) != nil {
			out[f.figure] = f.counter
		}
	}
	return out
}

// missing lists the figures the latest sample lacks, by counter name.
func (l *liveSeries) missing() []string {
	var out []string
	for _, f := range l.byFigure() {
		if latestValue(f.s) == nil {
			out = append(out, f.counter)
		}
	}
	return out
}

// fallbacks say, for each detailed figure the latest sample lacks, which
// level-1 figure stands in for it.
func (l *liveSeries) fallbacks() []string {
	var notes []string
	if latestValue(l.rx) == nil && latestValue(l.tx) == nil && latestValue(l.netUsage) != nil {
		notes = append(notes, "network.rx_kb_per_sec and tx_kb_per_sec are null (vSphere keeps no "+ctrNetReceived+" or "+ctrNetTransmit+
			" at this interval's statistics level, 1 by default for the rollups): network.usage_kb_per_sec is received + transmitted, from "+ctrNetUsage)
	}
	if latestValue(l.diskRead) == nil && latestValue(l.diskWrite) == nil && latestValue(l.diskUsage) != nil {
		notes = append(notes, "disk.read_kb_per_sec and write_kb_per_sec are null (vSphere keeps no "+ctrDiskRead+" or "+ctrDiskWrite+
			" at this interval's statistics level): disk.usage_kb_per_sec is read + written, from "+ctrDiskUsage)
	}
	if latestValue(l.memGranted) == nil && latestValue(l.memConsumed) != nil {
		notes = append(notes, "memory.granted_mb is null (vSphere keeps no "+ctrMemGranted+" at this interval's statistics level): memory.consumed_mb, from "+
			ctrMemConsumed+", is the closest figure")
	}
	return notes
}
