package vsphere

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"
)

// GuestShutdownTimeoutError says that a guest shutdown was requested but the VM
// was still running when the wait ended; the VM is left as it is.
type GuestShutdownTimeoutError struct {
	VM      VMRef
	Timeout time.Duration
	State   string
}

func (e *GuestShutdownTimeoutError) Error() string {
	return fmt.Sprintf("guest shutdown of %s was requested, but it was still %s after %s; it was left running "+
		"(the guest may still be shutting down, or may be ignoring the request): check it, call again with a larger timeout_seconds, or use mode: hard",
		e.VM, e.State, e.Timeout)
}

// shutdownGuest asks the guest OS to shut down and waits, on property-collector
// updates, for the VM to be off.
func (c *Client) shutdownGuest(ctx context.Context, v *VMSummary, r *PowerResult, timeout time.Duration, p Progress) (*PowerResult, error) {
	r.Operation = "guest_shutdown"
	if v.PowerState != poweredOn {
		return nil, fmt.Errorf("%s is %s: a guest shutdown needs a running guest; use mode: hard to power it off (a suspended VM's saved state is discarded)", refOf(v), v.PowerState)
	}
	if err := toolsRunning(v, "a guest shutdown"); err != nil {
		return nil, err
	}
	vm := object.NewVirtualMachine(c.vim, v.ref)
	if err := vm.ShutdownGuest(ctx); err != nil {
		return nil, describeFault(fmt.Sprintf("shutting down the guest of %s", refOf(v)), err)
	}
	tr := newTracker(p, 1)
	tr.note(0, fmt.Sprintf("guest shutdown of %s requested; waiting up to %s for it to power off", refOf(v), timeout))

	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wctx, stop := c.tasks.untilShutdown(tctx)
	defer stop()
	state := poweredOn
	err := property.Wait(wctx, property.DefaultCollector(c.vim), v.ref, []string{"runtime.powerState"}, func(changes []types.PropertyChange) bool {
		for _, ch := range changes {
			if ps, ok := ch.Val.(types.VirtualMachinePowerState); ok {
				state = string(ps)
			}
		}
		return state == poweredOff
	})
	switch {
	case state == poweredOff:
		c.afterTask(ctx, nil) // the inventory shows it before the tool answers
		tr.stepDone(fmt.Sprintf("%s is powered off", refOf(v)))
		r.PowerState, r.Changed = poweredOff, true
		return r, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("power_off_vm of %s was cancelled by the client while waiting for the guest to shut down; the shutdown request had already been sent to the guest and cannot be recalled", refOf(v))
	case context.Cause(wctx) == errShuttingDown:
		return nil, fmt.Errorf("the server is shutting down, so it stopped waiting for the guest of %s to shut down: the request was sent to the guest, and the VM was still %s; check with get_vm once the server is back", refOf(v), state)
	case errors.Is(wctx.Err(), context.DeadlineExceeded):
		return nil, &GuestShutdownTimeoutError{VM: refOf(v), Timeout: timeout, State: state}
	case err == nil:
		err = fmt.Errorf("the wait ended with the VM %s", state)
	}
	return nil, fmt.Errorf("waiting for %s to power off after a guest shutdown: %w", refOf(v), err)
}
