package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// CreateVMSpec is a new VM.
type CreateVMSpec struct {
	Name       string
	CPUs       int
	MemoryMB   int
	DiskGB     int    // 0: DefaultDiskGB
	GuestID    string // "": DefaultGuestID
	Annotation string
	PowerOn    bool
	Placement  PlacementArgs
	ISO        string // "[ds] path/file.iso" in a CD/DVD drive (see vm_iso.go)
}

// validate checks what needs no inventory.
func (s *CreateVMSpec) validate() error {
	if s.DiskGB == 0 {
		s.DiskGB = DefaultDiskGB
	}
	if s.GuestID == "" {
		s.GuestID = DefaultGuestID
	}
	return errors.Join(
		ValidateVMName("name", s.Name),
		validateCPUs(s.CPUs, 0, ""),
		validateMemory(s.MemoryMB),
		validateDisk(s.DiskGB),
		validateGuestID(s.GuestID),
	)
}

// CreateVM creates a VM with a SCSI controller, a thin disk and a NIC on the
// requested (or default) network, in the requested (or default) folder, pool
// and datastore. Everything is validated before anything is created.
func (c *Client) CreateVM(ctx context.Context, s CreateVMSpec, p Progress) (*NewVM, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	pi, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	t, err := pi.resolveTarget(s.Placement, targetDefaults{}, c.Defaults)
	if err != nil {
		return nil, err
	}
	net, err := pi.resolveNetwork(s.Placement.Network, c.Defaults.Network, t)
	if err != nil {
		return nil, err
	}
	if err := validateCPUs(s.CPUs, t.maxVCPUs, t.maxWhere); err != nil {
		return nil, err
	}
	if err := c.checkNameFree(ctx, pi, t.folder, s.Name); err != nil {
		return nil, err
	}
	spec, notes, err := s.configSpec(pi, t, net)
	if err != nil {
		return nil, err
	}
	if err := c.createISO(ctx, pi, t, s.ISO, &spec); err != nil {
		return nil, err
	}

	what := fmt.Sprintf("creating VM %s in %s", s.Name, pi.path(t.folder))
	steps := 1
	if s.PowerOn {
		steps = 2
	}
	tr := newTracker(p, steps)
	folder, pool, host := object.NewFolder(c.vim, t.folder), object.NewResourcePool(c.vim, t.pool), hostObject(c, t.host)
	task, ref, err := c.makeVM(ctx, what, s.Name, tr, func(ctx context.Context) (*object.Task, error) {
		return folder.CreateVM(ctx, spec, pool, host)
	})
	var running *TaskRunningError
	if errors.As(err, &running) && s.PowerOn {
		running.Pending = "this call will not power the new VM on: once the task has succeeded, call power_on_vm"
	}
	if err != nil {
		return nil, err
	}
	if s.PowerOn {
		if err := c.powerOnNew(ctx, ref, s.Name, tr); err != nil {
			return nil, err
		}
	}
	out, err := c.readNewVM(ctx, ref, pi)
	if err != nil {
		out = c.unreadNewVM(ref, s.Name, pi, t, err)
	}
	if err := c.keepNewVM(ctx, what, s.Name, task, ref); err != nil {
		return nil, err
	}
	out.Notes = append(append(out.Notes, t.notes...), notes...)
	out.Task = task.Reference().Value
	return out, nil
}

// configSpec is the complete spec of the new VM: its file path on the
// datastore (vCenter refuses a VM without one), hardware, a SCSI controller
// with a thin disk, and a NIC with the backing the network's kind needs.
func (s *CreateVMSpec) configSpec(pi *placementInventory, t *target, net *networkInfo) (types.VirtualMachineConfigSpec, []string, error) {
	spec := types.VirtualMachineConfigSpec{
		Name:       s.Name,
		GuestId:    s.GuestID,
		NumCPUs:    int32(s.CPUs),
		MemoryMB:   int64(s.MemoryMB),
		Annotation: s.Annotation,
		Files:      &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] %s", t.datastore.Name, s.Name)},
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("lsilogic-sas")
	if err != nil {
		return spec, nil, fmt.Errorf("building the SCSI controller: %w", err)
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), t.datastore.Ref, "")
	disk.CapacityInKB = int64(s.DiskGB) << 20
	devices = append(devices, disk)

	var notes []string
	if net == nil {
		notes = append(notes, fmt.Sprintf("no network adapter was added: %s has no network at all", pi.where(&t.compute, t.host)))
	} else {
		backing, err := pi.nicBacking(net)
		if err != nil {
			return spec, nil, err
		}
		nic, err := devices.CreateEthernetCard(nicType(s.GuestID), backing)
		if err != nil {
			return spec, nil, fmt.Errorf("building the network adapter: %w", err)
		}
		card := nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		card.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true, Connected: s.PowerOn}
		devices = append(devices, nic)
	}
	if spec.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd); err != nil {
		return spec, nil, err
	}
	return spec, notes, nil
}

// checkNameFree refuses a name already used in the target folder (one SOAP call).
func (c *Client) checkNameFree(ctx context.Context, pi *placementInventory, folder types.ManagedObjectReference, name string) error {
	found, err := object.NewSearchIndex(c.vim).FindChild(ctx, object.NewFolder(c.vim, folder), name)
	if err != nil {
		return fmt.Errorf("checking whether %q is free in %s: %w", name, pi.path(folder), err)
	}
	if found != nil {
		return fmt.Errorf("name %q is already used in folder %s (by %s); choose another name or folder", name, pi.path(folder), found.Reference().Value)
	}
	return nil
}

// powerOnNew powers on a VM this server just made; a failure leaves the VM in place and says so.
func (c *Client) powerOnNew(ctx context.Context, ref types.ManagedObjectReference, name string, tr *tracker) error {
	what := fmt.Sprintf("powering on the new VM %s (%s)", name, ref.Value)
	_, _, err := c.do(ctx, what, tr, object.NewVirtualMachine(c.vim, ref).PowerOn)
	var ce *CancelledError
	if errors.As(err, &ce) {
		// The request was cancelled: the whole operation leaves nothing behind.
		c.undoNewVM(ctx, ce, ref, name)
		return ce
	}
	if err != nil {
		return fmt.Errorf("VM %s (%s) was made but stays powered off: %w", name, ref.Value, err)
	}
	return nil
}

func hostObject(c *Client, ref *types.ManagedObjectReference) *object.HostSystem {
	if ref == nil {
		return nil
	}
	return object.NewHostSystem(c.vim, *ref)
}
