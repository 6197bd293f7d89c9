package vsphere

import (
	"context"
	"fmt"
	"sync"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
)

// maxLongPolls bounds the WaitForUpdates(Ex) requests in flight, apart from
// the ordinary bound. A long poll holds an idle connection on vCenter for up
// to its wait time and costs it little work, so counting it against the
// ordinary bound would let a handful of task waits (one per mutating tool call)
// and the inventory mirror's update stream take every slot and starve the
// reads. The MCP side already caps concurrent calls (max_concurrent_calls) and
// each call waits on at most one task; this bound is the backstop.
const maxLongPolls = 128

// vcenterLimit is the innermost SOAP round tripper of the session, right
// before the HTTP exchange: it keeps at most a fixed number of ordinary
// requests in flight to vCenter, however many MCP clients call, and answers
// identical concurrent reads with one request (see vcenter_limit_coalesce.go).
// It sits inside the re-login retry, so a slot is held only while a request is
// on the wire, never across a re-login.
type vcenterLimit struct {
	next      soap.RoundTripper
	slots     chan struct{} // ordinary requests in flight; nil: unbounded
	longPolls chan struct{} // long polls in flight

	mu      sync.Mutex
	flights map[string]*flight // coalescable reads in flight, by request

	// maxShared is the most objects an answer may hold and still be shared
	// (maxSharedObjects; tests lower it).
	maxShared int
}

// newVCenterLimit bounds next to maxInFlight ordinary requests (<= 0: unbounded).
func newVCenterLimit(next soap.RoundTripper, maxInFlight int) *vcenterLimit {
	l := &vcenterLimit{
		next:      next,
		longPolls: make(chan struct{}, maxLongPolls),
		flights:   map[string]*flight{},
		maxShared: maxSharedObjects,
	}
	if maxInFlight > 0 {
		l.slots = make(chan struct{}, maxInFlight)
	}
	return l
}

func (l *vcenterLimit) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	if isLongPoll(req) {
		return l.within(ctx, l.longPolls, req, res)
	}
	if key, ok := coalesceKey(req); ok {
		return l.coalesced(ctx, key, req, res)
	}
	return l.within(ctx, l.slots, req, res)
}

// within runs one request once a slot of sem is free (nil: at once). Waiting
// for a slot ends with the caller's context.
func (l *vcenterLimit) within(ctx context.Context, sem chan struct{}, req, res soap.HasFault) error {
	if sem != nil {
		select {
		case sem <- struct{}{}:
		default:
			hooksOf(ctx).onQueued()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return fmt.Errorf("waiting for a free connection to vCenter (%d in flight): %w", cap(sem), ctx.Err())
			case <-callerDone(ctx):
				// A request detached from its caller to be sure to reach vCenter
				// (a task start) is not sent once the caller has given up first.
				return fmt.Errorf("waiting for a free connection to vCenter (%d in flight): %w", cap(sem), context.Canceled)
			}
		}
		defer func() { <-sem }()
	}
	return l.next.RoundTrip(ctx, req, res)
}

type callerDoneKey struct{}

// withCallerDone marks a context detached from its caller (see Client.do)
// with the caller's Done channel: the limiter stops waiting for a slot when
// the caller gives up, before anything was sent.
func withCallerDone(detached context.Context, caller context.Context) context.Context {
	return context.WithValue(detached, callerDoneKey{}, caller.Done())
}

// callerDone is the Done channel of the caller a context was detached from,
// or nil (which never fires).
func callerDone(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(callerDoneKey{}).(<-chan struct{})
	return ch
}

// isLongPoll reports whether req may wait on vCenter's side for changes: the
// property collector's update calls, used by task waits and the inventory
// mirror's update stream.
func isLongPoll(req soap.HasFault) bool {
	switch req.(type) {
	case *methods.WaitForUpdatesExBody, *methods.WaitForUpdatesBody:
		return true
	}
	return false
}

// limitHooks let a test know, through the request's context, what the limiter
// did with a request: queued for a slot, or joined an identical request in
// flight (a test cannot otherwise tell either from a request not yet made).
type limitHooks struct {
	queued, joined func()
}

type limitHooksKey struct{}

func hooksOf(ctx context.Context) *limitHooks {
	h, _ := ctx.Value(limitHooksKey{}).(*limitHooks)
	return h
}

func (h *limitHooks) onQueued() {
	if h != nil && h.queued != nil {
		h.queued()
	}
}

func (h *limitHooks) onJoined() {
	if h != nil && h.joined != nil {
		h.joined()
	}
}
