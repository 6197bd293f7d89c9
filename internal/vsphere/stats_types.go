package vsphere

import "time"

// VMStats is the performance and storage of one VM. Its live sections (cpu,
// memory, network, disk) are one sample: the latest vSphere has, or the latest
// of the window. They are null for a VM that is not powered on.
type VMStats struct {
	VM         VMIdentity `json:"vm"`
	PowerState string     `json:"power_state" jsonschema:"poweredOn, poweredOff or suspended"`
	CPUs       int32      `json:"cpus" jsonschema:"configured virtual CPUs"`
	MemoryMB   int32      `json:"memory_mb" jsonschema:"configured memory, MB"`
	Live       bool       `json:"live" jsonschema:"true when cpu, memory, network and disk hold a performance sample; false for a VM that is not powered on or has no samples yet (see notes)"`

	Sample  *SampleInfo     `json:"sample" jsonschema:"which samples the live sections and the window come from; null when not live"`
	CPU     *CPUFigures     `json:"cpu" jsonschema:"CPU at the latest sample; null when not live"`
	Memory  *MemoryFigures  `json:"memory" jsonschema:"memory at the latest sample; null when not live"`
	Network *NetworkFigures `json:"network" jsonschema:"network traffic at the latest sample; null when not live"`
	Disk    *DiskFigures    `json:"disk" jsonschema:"disk I/O at the latest sample; null when not live"`
	Window  *WindowStats    `json:"window" jsonschema:"minimum, average and maximum of every live figure over the window; null without window_minutes or when not live"`

	Storage StorageStats `json:"storage"`
	// Counters maps each live figure reported (at the latest sample) to the
	// vSphere performance counter it came from.
	Counters map[string]string `json:"counters,omitempty" jsonschema:"the vSphere performance counter each reported live figure came from, by figure, e.g. network.usage_kb_per_sec: net.usage.average; a figure without an entry is null"`
	Notes    []string          `json:"notes,omitempty" jsonschema:"why a section is null or a figure is missing, and which counter stands in"`
	// The VM, its configuration and its storage come from the inventory mirror.
	Freshness
}

// VMIdentity names the VM the figures belong to.
type VMIdentity struct {
	ID   string `json:"id" jsonschema:"managed object id, e.g. vm-42"`
	Name string `json:"name"`
	Path string `json:"path" jsonschema:"inventory path, e.g. /DC0/vm/web-01"`
}

// Sample sources.
const (
	SourceRealtime   = "realtime"
	SourceHistorical = "historical"
)

// SampleInfo says which performance samples the figures come from.
type SampleInfo struct {
	Source          string    `json:"source" jsonschema:"realtime (20-second samples, about the last hour) or historical (5-minute rollups)"`
	IntervalSeconds int32     `json:"interval_seconds" jsonschema:"length of one sample, seconds: 20 for real-time, 300 for the rollups"`
	SampleCount     int       `json:"sample_count" jsonschema:"number of samples read: 1 without a window"`
	FirstSampleTime time.Time `json:"first_sample_time" jsonschema:"end time of the oldest sample read (UTC)"`
	LastSampleTime  time.Time `json:"last_sample_time" jsonschema:"end time of the latest sample, the one the live sections show (UTC)"`
}

// WindowStats summarise every live figure over the samples of a window.
type WindowStats struct {
	Minutes int         `json:"minutes" jsonschema:"the window asked for"`
	Min     LiveFigures `json:"min" jsonschema:"the lowest sample of each figure"`
	Avg     LiveFigures `json:"avg" jsonschema:"the mean of the samples of each figure"`
	Max     LiveFigures `json:"max" jsonschema:"the highest sample of each figure"`
}

// LiveFigures are the live sections of one sample, or one statistic of a window.
type LiveFigures struct {
	CPU     CPUFigures     `json:"cpu"`
	Memory  MemoryFigures  `json:"memory"`
	Network NetworkFigures `json:"network"`
	Disk    DiskFigures    `json:"disk"`
}

// A nil figure is one vSphere did not report (the counter is not collected at
// the statistics level of the interval, or the sample is missing).

// CPUFigures are CPU usage and contention.
type CPUFigures struct {
	UsageMHz     *float64 `json:"usage_mhz" jsonschema:"CPU used, MHz, all vCPUs together (cpu.usagemhz.average)"`
	UsagePercent *float64 `json:"usage_percent" jsonschema:"CPU used, % of the VM's configured capacity (vCPUs x core speed); vSphere reports hundredths of a percent (cpu.usage.average)"`
	ReadyPercent *float64 `json:"ready_percent" jsonschema:"time vCPUs were ready to run but not scheduled, % of the sample interval, averaged over the vCPUs (cpu.ready.summation); null where not available"`
}

// MemoryFigures are guest memory as the hypervisor sees it.
type MemoryFigures struct {
	ConsumedMB   *float64 `json:"consumed_mb" jsonschema:"host memory consumed by the VM, MB (mem.consumed.average)"`
	ActiveMB     *float64 `json:"active_mb" jsonschema:"memory the guest touched recently, MB (mem.active.average)"`
	GrantedMB    *float64 `json:"granted_mb" jsonschema:"host memory granted to the VM, MB (mem.granted.average)"`
	UsagePercent *float64 `json:"usage_percent" jsonschema:"active memory, % of configured memory; vSphere reports hundredths of a percent (mem.usage.average)"`
}

// NetworkFigures are traffic summed over the VM's virtual NICs, and per NIC.
type NetworkFigures struct {
	RxKBPerSec    *float64     `json:"rx_kb_per_sec" jsonschema:"received, KB (kilobytes) per second, sum over the VM's virtual NICs (net.received.average)"`
	TxKBPerSec    *float64     `json:"tx_kb_per_sec" jsonschema:"transmitted, KB (kilobytes) per second, sum over the VM's virtual NICs (net.transmitted.average)"`
	UsageKBPerSec *float64     `json:"usage_kb_per_sec" jsonschema:"received + transmitted, KB per second, all NICs (net.usage.average): the network figure statistics level 1 keeps in the 5-minute rollups, where rx and tx are null"`
	NICs          []NICFigures `json:"nics" jsonschema:"per virtual NIC; empty when vSphere keeps only the VM total (historical rollups at statistics level 1 or 2)"`
}

// NICFigures are the traffic of one virtual NIC.
type NICFigures struct {
	Instance   string   `json:"instance" jsonschema:"performance instance: the NIC's device key, e.g. 4000"`
	Label      string   `json:"label,omitempty" jsonschema:"device label, e.g. Network adapter 1"`
	MAC        string   `json:"mac,omitempty"`
	RxKBPerSec *float64 `json:"rx_kb_per_sec" jsonschema:"received, KB per second"`
	TxKBPerSec *float64 `json:"tx_kb_per_sec" jsonschema:"transmitted, KB per second"`
}

// DiskFigures are the VM's disk throughput, all disks together.
type DiskFigures struct {
	ReadKBPerSec  *float64 `json:"read_kb_per_sec" jsonschema:"read, KB per second (disk.read.average); null where not available"`
	WriteKBPerSec *float64 `json:"write_kb_per_sec" jsonschema:"written, KB per second (disk.write.average); null where not available"`
	UsageKBPerSec *float64 `json:"usage_kb_per_sec" jsonschema:"read + written, KB per second (disk.usage.average): the disk figure statistics level 1 keeps in the 5-minute rollups, where read and write are null"`
}

// StorageStats are the VM's space on datastores, current at the time of the read.
type StorageStats struct {
	CommittedGB   float64          `json:"committed_gb" jsonschema:"space the VM's files use, GB (2^30 bytes)"`
	UncommittedGB float64          `json:"uncommitted_gb" jsonschema:"further space its thin disks may grow into, GB"`
	ProvisionedGB float64          `json:"provisioned_gb" jsonschema:"committed + uncommitted, GB"`
	UnsharedGB    float64          `json:"unshared_gb" jsonschema:"space used by this VM alone (not shared with linked clones), GB"`
	Datastores    []DatastoreUsage `json:"datastores" jsonschema:"the same figures per datastore"`
}

// DatastoreUsage is a VM's space on one datastore.
type DatastoreUsage struct {
	ID            string  `json:"id" jsonschema:"datastore managed object id"`
	Name          string  `json:"name"`
	CommittedGB   float64 `json:"committed_gb"`
	UncommittedGB float64 `json:"uncommitted_gb"`
	ProvisionedGB float64 `json:"provisioned_gb"`
	UnsharedGB    float64 `json:"unshared_gb"`
}
