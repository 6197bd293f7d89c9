package vsphere

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// NewVM is a VM that create_vm or clone_vm made, as vSphere reports it afterwards.
type NewVM struct {
	ID           string   `json:"id" jsonschema:"managed object id, e.g. vm-42"`
	Name         string   `json:"name"`
	Path         string   `json:"path" jsonschema:"inventory path"`
	PowerState   string   `json:"power_state" jsonschema:"poweredOn or poweredOff; unknown when the VM could not be read back (see notes)"`
	CPUs         int32    `json:"cpus"`
	MemoryMB     int32    `json:"memory_mb"`
	GuestID      string   `json:"guest_id"`
	VMXPath      string   `json:"vmx_path" jsonschema:"the VM's configuration file on its datastore, e.g. [LocalDS_0] web-01/web-01.vmx"`
	Folder       string   `json:"folder" jsonschema:"inventory path of its folder"`
	ResourcePool string   `json:"resource_pool" jsonschema:"inventory path of its resource pool"`
	Cluster      string   `json:"cluster,omitempty"`
	Host         string   `json:"host,omitempty"`
	Disks        []VMDisk `json:"disks"`
	NICs         []VMNIC  `json:"nics"`
	Notes        []string `json:"notes,omitempty" jsonschema:"things worth knowing about how the VM was made"`
	Task         string   `json:"task" jsonschema:"id of the vSphere task that made it"`
}

// readNewVM reads a VM just made, in one retrieval, naming what it refers to
// from pi. The VM exists whatever happens to the request now, so the answer is
// completed even if the request was cancelled meanwhile.
func (c *Client) readNewVM(ctx context.Context, ref types.ManagedObjectReference, pi *placementInventory) (*NewVM, error) {
	ctx = context.WithoutCancel(ctx)
	vm, err := c.retrieveVM(ctx, ref, []string{
		"name", "parent", "resourcePool", "runtime.powerState", "runtime.host",
		"config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
		"config.guestId", "config.files.vmPathName",
	})
	if err != nil {
		return nil, fmt.Errorf("reading the new VM %s: %w", ref.Value, err)
	}
	out := &NewVM{ID: ref.Value, Name: vm.Name, PowerState: string(vm.Runtime.PowerState)}
	if vm.Parent != nil {
		out.Folder = pi.path(*vm.Parent)
		out.Path = out.Folder + "/" + vm.Name
	}
	if vm.ResourcePool != nil {
		out.ResourcePool = pi.path(*vm.ResourcePool)
	}
	if h := vm.Runtime.Host; h != nil {
		out.Host = pi.hosts[*h].name
		if cr := pi.computeOf(pi.hosts[*h].parent); cr != nil {
			out.Cluster = cr.name
		}
	}
	if cfg := vm.Config; cfg != nil {
		out.CPUs, out.MemoryMB, out.GuestID = cfg.Hardware.NumCPU, cfg.Hardware.MemoryMB, cfg.GuestId
		out.VMXPath = cfg.Files.VmPathName
		out.Disks, out.NICs = devicesOf(cfg.Hardware.Device, func(r types.ManagedObjectReference) string {
			return pi.datastores[r].name
		}, pi.networkNames())
	}
	return out, nil
}

// unreadNewVM is the answer about a VM that was made (its task succeeded)
// but could not be read back: what is known for sure — its id, name, folder
// and resource pool as requested — and a note saying why the rest is
// missing. The VM exists, so the answer is not an error: an error would
// invite a retry that finds the name taken.
//
// The note carries the failure as clients may see it (ClientError): this is
// not an error answer, which the MCP layer would scrub of transport detail;
// the detail is logged.
func (c *Client) unreadNewVM(ref types.ManagedObjectReference, name string, pi *placementInventory, t *target, err error) *NewVM {
	public, detail := ClientError(err)
	c.log.Warn("a new VM could not be read back; answering with what is known", "vm", ref.Value, "error", err, "detail", detail)
	folder := pi.path(t.folder)
	return &NewVM{
		ID: ref.Value, Name: name, Path: folder + "/" + name, PowerState: "unknown",
		Folder: folder, ResourcePool: pi.path(t.pool),
		Notes: []string{fmt.Sprintf("the VM was made, but reading it back failed (%v): its power state, hardware, disks and NICs are not shown; get_vm %s shows them", public, ref.Value)},
	}
}

// retrieveVM reads some properties of one VM.
func (c *Client) retrieveVM(ctx context.Context, ref types.ManagedObjectReference, props []string) (*mo.VirtualMachine, error) {
	var vms []mo.VirtualMachine
	if err := c.retrieveRefs(ctx, []types.ManagedObjectReference{ref}, props, &vms); err != nil {
		return nil, err
	}
	if len(vms) != 1 {
		return nil, fmt.Errorf("VM %s is not in the inventory (deleted meanwhile?)", ref.Value)
	}
	return &vms[0], nil
}

// undoTimeout bounds removing a VM made despite a cancel (power off, destroy).
const undoTimeout = 2 * time.Minute

// makeVM runs a task that makes a VM (create or clone) and returns the task and
// the new VM. When the client cancels and vSphere makes the VM anyway, the VM
// is removed again and the *CancelledError says so.
func (c *Client) makeVM(ctx context.Context, what, name string, tr *tracker, start func(context.Context) (*object.Task, error)) (*object.Task, types.ManagedObjectReference, error) {
	task, info, err := c.do(ctx, what, tr, start)
	var ce *CancelledError
	if errors.As(err, &ce) {
		if ref, ok := newVMOf(ce.info); ok {
			c.undoNewVM(ctx, ce, ref, name)
		}
		return nil, types.ManagedObjectReference{}, ce
	}
	if err != nil {
		return nil, types.ManagedObjectReference{}, err
	}
	ref, _ := newVMOf(info)
	return task, ref, nil
}

// keepNewVM is the last step of a create or clone: when the client cancelled
// after the task had finished but before the answer, the VM is removed again
// (the client will not read an answer saying it was made).
func (c *Client) keepNewVM(ctx context.Context, what, name string, task *object.Task, ref types.ManagedObjectReference) error {
	if ctx.Err() == nil {
		return nil
	}
	ce := &CancelledError{What: what, Task: task.Reference().Value, Refused: "it had already finished", Completed: true}
	c.undoNewVM(ctx, ce, ref, name)
	return ce
}

// undoNewVM removes a VM that a cancelled create or clone made anyway, and
// records the outcome in e.
func (c *Client) undoNewVM(ctx context.Context, e *CancelledError, ref types.ManagedObjectReference, name string) {
	defer c.tasks.cleanup()()
	ctx, cancel := context.WithTimeout(unlimited(context.WithoutCancel(ctx)), undoTimeout)
	defer cancel()
	vm := object.NewVirtualMachine(c.vim, ref)
	what := fmt.Sprintf("removing VM %s (%s), made despite the cancel", name, ref.Value)
	if state, err := vm.PowerState(ctx); err == nil && state != types.VirtualMachinePowerStatePoweredOff {
		_, _, _ = c.do(ctx, what, nil, vm.PowerOff)
	}
	_, _, err := c.do(ctx, what, nil, vm.Destroy)
	if err != nil {
		e.UndoErr = fmt.Errorf("VM %s (%s) is left behind, delete it with delete_vm: %w", name, ref.Value, err)
		c.log.Warn("could not remove a VM made despite a cancel", "vm", ref.Value, "error", err)
		return
	}
	e.Undone = fmt.Sprintf("VM %s (%s), made before the cancel took effect, was deleted again; nothing is left behind", name, ref.Value)
	c.log.Info("removed a VM made despite a cancel", "vm", ref.Value, "name", name)
}
