package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// Power modes: hard acts on the virtual hardware at once; guest asks the guest
// OS through VMware Tools.
const (
	ModeHard  = "hard"
	ModeGuest = "guest"
)

// DefaultGuestShutdownTimeout is how long power_off_vm in guest mode waits for the VM to be off.
const DefaultGuestShutdownTimeout = 120 * time.Second

const (
	poweredOn  = string(types.VirtualMachinePowerStatePoweredOn)
	poweredOff = string(types.VirtualMachinePowerStatePoweredOff)
	suspended  = string(types.VirtualMachinePowerStateSuspended)
)

// VMRef names a VM in results.
type VMRef struct {
	ID   string `json:"id" jsonschema:"managed object id, e.g. vm-42"`
	Name string `json:"name"`
	Path string `json:"path" jsonschema:"inventory path"`
}

func refOf(v *VMSummary) VMRef { return VMRef{ID: v.ID, Name: v.Name, Path: v.Path} }

func (r VMRef) String() string { return fmt.Sprintf("VM %s (%s)", r.Name, r.ID) }

// PowerResult is the outcome of a power operation. Changed is false when the
// VM already was in the requested state: that is a result, not an error.
type PowerResult struct {
	VM            VMRef  `json:"vm"`
	Operation     string `json:"operation" jsonschema:"power_on, power_off, guest_shutdown, reset, guest_reboot or suspend"`
	PreviousState string `json:"previous_state" jsonschema:"power state before the call"`
	PowerState    string `json:"power_state" jsonschema:"power state afterwards"`
	Changed       bool   `json:"changed" jsonschema:"false when the VM already was in the requested state and nothing was done"`
	Host          string `json:"host,omitempty"`
	Task          string `json:"task,omitempty" jsonschema:"id of the vSphere task, when there was one"`
}

// power resolves a VM for a power operation and refuses templates.
func (c *Client) power(ctx context.Context, reference, verb string) (*VMSummary, *PowerResult, error) {
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, nil, err
	}
	if v.Template {
		return nil, nil, fmt.Errorf("%s is a template, and templates cannot be %s; clone it into a VM first (clone_vm)", refOf(v), verb)
	}
	return v, &PowerResult{VM: refOf(v), PreviousState: v.PowerState, PowerState: v.PowerState, Host: v.Host}, nil
}

// PowerOn powers a VM on (resuming it when suspended); an already running VM is reported unchanged.
func (c *Client) PowerOn(ctx context.Context, reference string, p Progress) (*PowerResult, error) {
	v, r, err := c.power(ctx, reference, "powered on")
	if err != nil || v.PowerState == poweredOn {
		r = withOperation(r, "power_on")
		return r, err
	}
	return c.powerTask(ctx, v, r, "power_on", "powering on", poweredOn, p, object.NewVirtualMachine(c.vim, v.ref).PowerOn)
}

// PowerOff turns a VM off: hard (at once, like pulling the plug) or guest
// (a guest OS shutdown through VMware Tools, waiting up to timeout for the VM to be off).
func (c *Client) PowerOff(ctx context.Context, reference, mode string, timeout time.Duration, p Progress) (*PowerResult, error) {
	if err := checkMode(mode); err != nil {
		return nil, err
	}
	v, r, err := c.power(ctx, reference, "powered off")
	if err != nil || v.PowerState == poweredOff {
		return withOperation(r, "power_off"), err
	}
	if mode != ModeGuest {
		return c.powerTask(ctx, v, r, "power_off", "powering off", poweredOff, p, object.NewVirtualMachine(c.vim, v.ref).PowerOff)
	}
	if timeout <= 0 {
		timeout = DefaultGuestShutdownTimeout
	}
	return c.shutdownGuest(ctx, v, r, timeout, p)
}

// Suspend suspends a running VM; an already suspended VM is reported unchanged.
func (c *Client) Suspend(ctx context.Context, reference string, p Progress) (*PowerResult, error) {
	v, r, err := c.power(ctx, reference, "suspended")
	if err != nil || v.PowerState == suspended {
		return withOperation(r, "suspend"), err
	}
	if v.PowerState != poweredOn {
		return nil, fmt.Errorf("%s is %s; only a running VM can be suspended", refOf(v), v.PowerState)
	}
	return c.powerTask(ctx, v, r, "suspend", "suspending", suspended, p, object.NewVirtualMachine(c.vim, v.ref).Suspend)
}

// Restart resets a running VM (hard) or asks its guest OS to reboot (guest).
func (c *Client) Restart(ctx context.Context, reference, mode string, p Progress) (*PowerResult, error) {
	if err := checkMode(mode); err != nil {
		return nil, err
	}
	v, r, err := c.power(ctx, reference, "restarted")
	if err != nil {
		return nil, err
	}
	if v.PowerState != poweredOn {
		return nil, fmt.Errorf("%s is %s; restart_vm restarts running VMs only: use power_on_vm to start it", refOf(v), v.PowerState)
	}
	if mode != ModeGuest {
		return c.powerTask(ctx, v, r, "reset", "resetting", poweredOn, p, object.NewVirtualMachine(c.vim, v.ref).Reset)
	}
	if err := toolsRunning(v, "a guest reboot"); err != nil {
		return nil, err
	}
	r.Operation = "guest_reboot"
	if err := object.NewVirtualMachine(c.vim, v.ref).RebootGuest(ctx); err != nil {
		return nil, describeFault(fmt.Sprintf("rebooting the guest of %s", refOf(v)), err)
	}
	r.Changed = true
	return r, nil
}

// powerTask runs one power task. A vSphere answer that the VM already is in
// the target state (someone else got there first) is reported as unchanged.
func (c *Client) powerTask(ctx context.Context, v *VMSummary, r *PowerResult, op, verb, want string, p Progress,
	start func(context.Context) (*object.Task, error)) (*PowerResult, error) {
	r.Operation = op
	what := fmt.Sprintf("%s %s", verb, refOf(v))
	tr := newTracker(p, 1)
	task, _, err := c.do(ctx, what, tr, start)
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); ok && string(ips.ExistingState) == want && op != "reset" {
		r.PowerState = want
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	r.PowerState, r.Changed, r.Task = want, true, task.Reference().Value
	return r, nil
}

func withOperation(r *PowerResult, op string) *PowerResult {
	if r != nil {
		r.Operation = op
	}
	return r
}

func checkMode(mode string) error {
	if mode != "" && mode != ModeHard && mode != ModeGuest {
		return fmt.Errorf("mode must be %q or %q, got %q", ModeHard, ModeGuest, mode)
	}
	return nil
}

// toolsRunning refuses a guest operation when VMware Tools are not running.
// Checked here because the simulator performs a guest shutdown without them,
// which a real vCenter refuses.
func toolsRunning(v *VMSummary, op string) error {
	if v.toolsRunning == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		return nil
	}
	status := v.toolsRunning
	if status == "" {
		status = "unknown"
	}
	return fmt.Errorf("VMware Tools are not running in %s (status: %s), and %s needs them; use mode: hard instead (acts on the virtual hardware, like the power button, without asking the guest)", refOf(v), status, op)
}
