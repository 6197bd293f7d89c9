package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// DeleteResult says exactly what delete_vm removed.
type DeleteResult struct {
	VM         VMRef    `json:"vm"`
	Template   bool     `json:"template" jsonschema:"the deleted VM was a template"`
	VMXPath    string   `json:"vmx_path" jsonschema:"the VM's configuration file, deleted with its directory"`
	PoweredOff bool     `json:"powered_off" jsonschema:"true when force powered the VM off before deleting it"`
	Disks      []VMDisk `json:"disks" jsonschema:"the virtual disks deleted with the VM"`
	Files      []string `json:"files" jsonschema:"the VM's files vSphere listed before the deletion (configuration, disks, logs, swap, snapshots)"`
	Task       string   `json:"task" jsonschema:"id of the vSphere destroy task"`
}

// DeleteVM destroys a VM and its files. A VM that is not powered off is
// refused unless force is set, in which case it is powered off first.
func (c *Client) DeleteVM(ctx context.Context, reference string, force bool, p Progress) (*DeleteResult, error) {
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	if v.PowerState != poweredOff && !force {
		lost := "it would stop abruptly"
		if v.PowerState == suspended {
			lost = "its suspended state would be lost"
		}
		return nil, fmt.Errorf("%s is %s; delete_vm refuses to delete a VM that is not powered off (%s): power it off first (power_off_vm), or pass force: true to power it off and delete it", refOf(v), v.PowerState, lost)
	}
	res := &DeleteResult{VM: refOf(v), Template: v.Template}
	if err := c.readDeleted(ctx, v, res); err != nil {
		return nil, err
	}

	vm := object.NewVirtualMachine(c.vim, v.ref)
	steps := 1
	if v.PowerState != poweredOff {
		steps = 2
	}
	tr := newTracker(p, steps)
	if v.PowerState != poweredOff {
		if _, _, err := c.do(ctx, fmt.Sprintf("powering off %s before deleting it", refOf(v)), tr, vm.PowerOff); err != nil {
			var running *TaskRunningError
			if errors.As(err, &running) {
				running.Pending = "this call will not delete the VM: once it is off, call delete_vm again"
			}
			return nil, err
		}
		res.PoweredOff = true
	}
	task, _, err := c.do(ctx, fmt.Sprintf("deleting %s", refOf(v)), tr, vm.Destroy)
	if err != nil {
		if res.PoweredOff {
			return nil, fmt.Errorf("%s was powered off but not deleted: %w", refOf(v), err)
		}
		return nil, err
	}
	res.Task = task.Reference().Value
	return res, nil
}

// readDeleted records what the deletion will remove, in one retrieval.
func (c *Client) readDeleted(ctx context.Context, v *VMSummary, res *DeleteResult) error {
	vm, err := c.retrieveVM(ctx, v.ref, []string{"config.files.vmPathName", "config.hardware.device", "layoutEx.file"})
	if err != nil {
		return fmt.Errorf("reading the files of %s before deleting it: %w", refOf(v), err)
	}
	if vm.Config != nil {
		res.VMXPath = vm.Config.Files.VmPathName
		res.Disks, _ = devicesOf(vm.Config.Hardware.Device, func(types.ManagedObjectReference) string { return "" }, networkNames{})
	}
	res.Files = []string{}
	if vm.LayoutEx != nil {
		for _, f := range vm.LayoutEx.File {
			res.Files = append(res.Files, f.Name)
		}
	}
	return nil
}
