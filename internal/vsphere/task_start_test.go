package vsphere

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
)

// TestNoStartAfterTheCallerGaveUp: a task start runs detached from its
// caller, so that the server always learns a task it started; but a caller
// that gave up before anything reached vCenter — already cancelled, or
// cancelled while the start waits for a connection slot
// (vcenter_max_concurrency) — must change nothing: the start is not sent.
func TestNoStartAfterTheCallerGaveUp(t *testing.T) {
	c, _ := connectSim(t, false)
	started := false
	start := func(context.Context) (*object.Task, error) {
		started = true
		return nil, errors.New("must not be called")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.do(ctx, "deleting VM x", nil, start)
	if started || err == nil || !strings.Contains(err.Error(), "nothing was changed") || !errors.Is(err, context.Canceled) {
		t.Fatalf("already cancelled: started=%v, err=%v; want no start and 'nothing was changed'", started, err)
	}

	// A request waiting for a slot gives up when the caller does, even on a
	// context detached from the caller.
	l := newVCenterLimit(soapFunc(func(ctx context.Context, req, res soap.HasFault) error { return nil }), 1)
	l.slots <- struct{}{} // the only slot is taken
	caller, callerCancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- l.RoundTrip(withCallerDone(context.WithoutCancel(caller), caller), &methods.Destroy_TaskBody{}, &methods.Destroy_TaskBody{})
	}()
	callerCancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued detached request after the caller gave up: %v, want context.Canceled", err)
	}
}

type soapFunc func(ctx context.Context, req, res soap.HasFault) error

func (f soapFunc) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	return f(ctx, req, res)
}
