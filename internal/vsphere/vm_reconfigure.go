package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// MaxAnnotationLength bounds a VM's notes.
const MaxAnnotationLength = 65535

// Disk provisioning of a new disk.
const (
	ProvisionThin       = "thin"
	ProvisionThick      = "thick"
	ProvisionThickEager = "thick-eager"
)

// ReconfigureSpec is a change to a VM's configuration; zero fields are left alone.
type ReconfigureSpec struct {
	VM             string
	CPUs           int
	CoresPerSocket int
	MemoryMB       int
	// Annotation replaces the notes; "" leaves them (the vSphere API does not
	// send an empty value: " " blanks them).
	Annotation string
	NewName    string

	AddDiskGB           int
	AddDiskDatastore    string // default: the VM's home datastore
	AddDiskProvisioning string // thin (default), thick or thick-eager

	GrowDisk   string // label of the disk to grow, e.g. "Hard disk 1"
	GrowDiskGB int    // its new size

	AddNICNetwork string // adds a network adapter on this network

	NIC          string // label of the adapter NICNetwork and NICConnected change
	NICNetwork   string
	NICConnected *bool

	ISO *string // "[ds] path/file.iso" mounts, "" ejects
}

// Change is one item of a reconfiguration, before and after.
type Change struct {
	Item   string `json:"item" jsonschema:"what changed, e.g. cpu, memory_mb, Hard disk 2, Network adapter 1 network"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// ReconfigureResult is the outcome of reconfigure_vm.
type ReconfigureResult struct {
	VM         VMRef    `json:"vm" jsonschema:"the VM, with its new name when it was renamed"`
	Changed    bool     `json:"changed" jsonschema:"false when everything asked for was already so"`
	Changes    []Change `json:"changes" jsonschema:"each change, before and after"`
	PowerState string   `json:"power_state"`
	Task       string   `json:"task,omitempty" jsonschema:"id of the vSphere task, when there was one"`
	Notes      []string `json:"notes" jsonschema:"things worth knowing about the result"`
}

func (s *ReconfigureSpec) empty() bool {
	return s.CPUs == 0 && s.CoresPerSocket == 0 && s.MemoryMB == 0 && s.Annotation == "" && s.NewName == "" &&
		s.AddDiskGB == 0 && s.AddDiskDatastore == "" && s.GrowDisk == "" && s.GrowDiskGB == 0 && s.AddNICNetwork == "" &&
		s.NIC == "" && s.NICNetwork == "" && s.NICConnected == nil && s.ISO == nil
}

// validate checks what needs no inventory.
func (s *ReconfigureSpec) validate() error {
	if s.empty() {
		return fmt.Errorf("nothing to change: give at least one of cpu, cores_per_socket, memory, annotation, new_name, add_disk_gb, grow_disk + grow_disk_gb, add_nic_network, nic_network, nic_connected or iso")
	}
	var errs []error
	if s.CPUs != 0 {
		errs = append(errs, validateCPUs(s.CPUs, 0, ""))
	}
	if s.CoresPerSocket != 0 && (s.CoresPerSocket < 1 || s.CoresPerSocket > MaxCPUs) {
		errs = append(errs, fmt.Errorf("cores_per_socket must be between 1 and %d, got %d", MaxCPUs, s.CoresPerSocket))
	}
	if s.MemoryMB != 0 {
		errs = append(errs, validateMemory(s.MemoryMB))
	}
	if utf8.RuneCountInString(s.Annotation) > MaxAnnotationLength {
		errs = append(errs, fmt.Errorf("annotation is %d characters long; at most %d are allowed", utf8.RuneCountInString(s.Annotation), MaxAnnotationLength))
	}
	if s.NewName != "" {
		errs = append(errs, ValidateVMName("new_name", s.NewName))
	}
	if s.AddDiskGB != 0 && (s.AddDiskGB < MinDiskGB || s.AddDiskGB > MaxDiskGB) {
		errs = append(errs, fmt.Errorf("add_disk_gb must be between %d and %d (62 TB), got %d", MinDiskGB, MaxDiskGB, s.AddDiskGB))
	}
	if s.AddDiskGB == 0 && s.AddDiskDatastore != "" {
		errs = append(errs, fmt.Errorf("add_disk_datastore is where a new disk goes: give add_disk_gb too"))
	}
	switch s.AddDiskProvisioning {
	case "", ProvisionThin, ProvisionThick, ProvisionThickEager:
	default:
		errs = append(errs, fmt.Errorf("add_disk_provisioning must be %s, %s or %s, got %q", ProvisionThin, ProvisionThick, ProvisionThickEager, s.AddDiskProvisioning))
	}
	if s.NIC != "" && s.NICNetwork == "" && s.NICConnected == nil {
		errs = append(errs, fmt.Errorf("nic %q names an adapter to change: give nic_network or nic_connected too", s.NIC))
	}
	if (s.GrowDisk == "") != (s.GrowDiskGB == 0) {
		errs = append(errs, fmt.Errorf("grow_disk (the disk's label, e.g. \"Hard disk 1\") and grow_disk_gb (its new size) go together"))
	}
	if s.GrowDiskGB != 0 && (s.GrowDiskGB < MinDiskGB || s.GrowDiskGB > MaxDiskGB) {
		errs = append(errs, fmt.Errorf("grow_disk_gb must be between %d and %d (62 TB), got %d", MinDiskGB, MaxDiskGB, s.GrowDiskGB))
	}
	if s.ISO != nil && *s.ISO != "" {
		if _, err := parseISO("iso", *s.ISO); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var reconfigureProps = []string{
	"name", "parent", "runtime.powerState", "runtime.host", "snapshot",
	"config.hardware.numCPU", "config.hardware.numCoresPerSocket", "config.hardware.memoryMB", "config.hardware.device",
	"config.annotation", "config.cpuHotAddEnabled", "config.memoryHotAddEnabled", "config.guestId",
	"config.files.vmPathName", "config.template",
}

// reconfigurePlan is the one ReconfigVM spec that makes every requested
// change, and the changes said in words.
type reconfigurePlan struct {
	c       *Client
	pi      *placementInventory
	v       *VMSummary
	vm      *mo.VirtualMachine
	devices object.VirtualDeviceList
	running bool // powered on or suspended: only hot changes
	spec    types.VirtualMachineConfigSpec
	changes []Change
	notes   []string
}

// ReconfigureVM changes a VM's CPUs, memory, notes, name, disks, network
// adapters and CD/DVD media in one vSphere task, after checking every change.
func (c *Client) ReconfigureVM(ctx context.Context, s ReconfigureSpec, p Progress) (*ReconfigureResult, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	v, err := c.FindVM(ctx, s.VM)
	if err != nil {
		return nil, err
	}
	vm, err := c.retrieveVM(ctx, v.ref, reconfigureProps)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration of %s: %w", refOf(v), err)
	}
	if vm.Config == nil {
		return nil, fmt.Errorf("%s has no readable configuration (connection state %s); vCenter cannot reconfigure it now", refOf(v), orDefault(v.ConnectionState, "unknown"))
	}
	pi, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	pl := &reconfigurePlan{c: c, pi: pi, v: v, vm: vm, devices: object.VirtualDeviceList(vm.Config.Hardware.Device),
		running: vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff, changes: []Change{}, notes: []string{}}
	if err := pl.build(ctx, &s); err != nil {
		return nil, err
	}
	out := &ReconfigureResult{VM: refOf(v), Changes: pl.changes, PowerState: string(vm.Runtime.PowerState), Notes: pl.notes}
	if len(pl.changes) == 0 {
		return out, nil // everything asked for already is so: changed false
	}
	what := fmt.Sprintf("reconfiguring %s", refOf(v))
	obj := object.NewVirtualMachine(c.vim, v.ref)
	task, _, err := c.do(ctx, what, newTracker(p, 1), func(ctx context.Context) (*object.Task, error) {
		return obj.Reconfigure(ctx, pl.spec)
	})
	if err != nil {
		return nil, err
	}
	out.Changed, out.Task = true, task.Reference().Value
	if pl.spec.Name != "" {
		out.VM.Name = pl.spec.Name
		if vm.Parent != nil {
			out.VM.Path = pi.path(*vm.Parent) + "/" + pl.spec.Name
		}
	}
	return out, nil
}

// build checks each requested change against the VM and adds it to the plan.
func (pl *reconfigurePlan) build(ctx context.Context, s *ReconfigureSpec) error {
	cfg := pl.vm.Config
	if cfg.Template && (s.CPUs != 0 || s.CoresPerSocket != 0 || s.MemoryMB != 0 || s.AddDiskGB != 0 || s.GrowDisk != "" ||
		s.AddNICNetwork != "" || s.NIC != "" || s.NICNetwork != "" || s.NICConnected != nil || s.ISO != nil) {
		return fmt.Errorf("%s is a template: only its annotation and name can change; convert it with convert_to_vm first", refOf(pl.v))
	}
	if err := pl.hardware(s); err != nil {
		return err
	}
	if s.Annotation != "" && s.Annotation != cfg.Annotation {
		pl.spec.Annotation = s.Annotation
		pl.changes = append(pl.changes, Change{Item: "annotation", Before: quoteOrNone(cfg.Annotation), After: quoteOrNone(s.Annotation)})
	}
	if s.NewName != "" && s.NewName != pl.vm.Name {
		if pl.vm.Parent != nil {
			if err := pl.c.checkNameFree(ctx, pl.pi, *pl.vm.Parent, s.NewName); err != nil {
				return err
			}
		}
		pl.spec.Name = s.NewName
		pl.changes = append(pl.changes, Change{Item: "name", Before: pl.vm.Name, After: s.NewName})
		pl.notes = append(pl.notes, "vSphere renames the VM, not its files on the datastore")
	}
	if err := pl.disks(s); err != nil {
		return err
	}
	if err := pl.nics(s); err != nil {
		return err
	}
	return pl.iso(ctx, s)
}

// hardware plans CPU, cores per socket and memory. A running VM takes only
// increases, and only where hot-add is enabled.
func (pl *reconfigurePlan) hardware(s *ReconfigureSpec) error {
	hw := pl.vm.Config.Hardware
	cpus := int(hw.NumCPU)
	if s.CPUs != 0 && s.CPUs != cpus {
		max, where := pl.hostMaxVCPUs()
		if err := validateCPUs(s.CPUs, max, where); err != nil {
			return err
		}
		if err := pl.hot("cpu", cpus, s.CPUs, pl.vm.Config.CpuHotAddEnabled, "CPU hot-add"); err != nil {
			return err
		}
		pl.spec.NumCPUs = int32(s.CPUs)
		pl.changes = append(pl.changes, Change{Item: "cpu", Before: strconv.Itoa(cpus), After: strconv.Itoa(s.CPUs)})
		cpus = s.CPUs
	}
	cores := int32(1)
	if hw.NumCoresPerSocket != nil && *hw.NumCoresPerSocket > 0 {
		cores = *hw.NumCoresPerSocket
	}
	want := int(cores)
	if s.CoresPerSocket != 0 {
		want = s.CoresPerSocket
	}
	if cpus%want != 0 {
		return fmt.Errorf("cores_per_socket %d does not divide the %d vCPUs: the vCPUs must fill whole sockets (choose a divisor of %d)", want, cpus, cpus)
	}
	if s.CoresPerSocket != 0 && int32(s.CoresPerSocket) != cores {
		if pl.running {
			return fmt.Errorf("%s is %s, and cores_per_socket changes only while the VM is off; power it off first (power_off_vm)", refOf(pl.v), pl.vm.Runtime.PowerState)
		}
		n := int32(s.CoresPerSocket)
		pl.spec.NumCoresPerSocket = &n
		pl.changes = append(pl.changes, Change{Item: "cores_per_socket", Before: strconv.Itoa(int(cores)), After: strconv.Itoa(s.CoresPerSocket)})
	}
	if s.MemoryMB != 0 && s.MemoryMB != int(hw.MemoryMB) {
		if err := pl.hot("memory", int(hw.MemoryMB), s.MemoryMB, pl.vm.Config.MemoryHotAddEnabled, "memory hot-add"); err != nil {
			return err
		}
		pl.spec.MemoryMB = int64(s.MemoryMB)
		pl.changes = append(pl.changes, Change{Item: "memory_mb", Before: strconv.Itoa(int(hw.MemoryMB)), After: strconv.Itoa(s.MemoryMB)})
	}
	return nil
}

// hot refuses a CPU or memory change a running VM cannot take.
func (pl *reconfigurePlan) hot(item string, before, after int, hotAdd *bool, feature string) error {
	if !pl.running {
		return nil
	}
	state := pl.vm.Runtime.PowerState
	switch {
	case state != types.VirtualMachinePowerStatePoweredOn:
		return fmt.Errorf("%s is %s; %s changes only while the VM is off (or running with %s); power it off first (power_off_vm)", refOf(pl.v), state, item, feature)
	case after < before:
		return fmt.Errorf("%s is poweredOn, and %s can only grow while it runs (%d → %d is a decrease); power it off first (power_off_vm)", refOf(pl.v), item, before, after)
	case hotAdd == nil || !*hotAdd:
		return fmt.Errorf("%s is poweredOn and %s is not enabled on it, so %s changes only while the VM is off; power it off first (power_off_vm)", refOf(pl.v), feature, item)
	}
	return nil
}

// hostMaxVCPUs is the vCPU limit of the VM's host, when it reports one.
func (pl *reconfigurePlan) hostMaxVCPUs() (int32, string) {
	if h := pl.vm.Runtime.Host; h != nil {
		if hi, ok := pl.pi.hosts[*h]; ok {
			return hi.maxVCPUs, "host " + hi.name
		}
	}
	return 0, ""
}

// host returns the VM's host and the compute resource it belongs to, for
// resolving datastores and networks the VM can use.
func (pl *reconfigurePlan) host() (*target, error) {
	h := pl.vm.Runtime.Host
	if h == nil {
		return nil, fmt.Errorf("%s is registered on no host vCenter knows; it cannot get new devices now", refOf(pl.v))
	}
	hi, ok := pl.pi.hosts[*h]
	if !ok {
		return nil, fmt.Errorf("the host of %s is not in datacenter %s, which this server works in", refOf(pl.v), pl.pi.dc.Name)
	}
	cr := pl.pi.computeOf(hi.parent)
	if cr == nil {
		return nil, fmt.Errorf("the compute resource of host %s is not in datacenter %s", hi.name, pl.pi.dc.Name)
	}
	ref := *h
	return &target{compute: *cr, host: &ref}, nil
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}
