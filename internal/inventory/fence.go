package inventory

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// Read-your-writes. When a tool's task has succeeded, vCenter already holds
// its effect; the mirror must have applied it before the tool answers, so the
// next call of any client sees it. Fence waits for that.
//
// Design: the update loop runs in rounds, each one WaitForUpdatesEx (or the
// parts of one truncated update set, or a fill). A round that STARTS after
// Fence was called returns every change vCenter had queued for the collector
// when it started — that includes every change vCenter had when Fence was
// called — so Fence returns once such a round has been applied. To make that
// round come at once rather than after a long wait:
//   - Fence asks for a "quick" round: the loop's next WaitForUpdatesEx has
//     MaxWaitSeconds 0, which makes vCenter compute pending updates once and
//     answer immediately;
//   - if a long wait is in flight (it started before Fence and may be idle,
//     having already delivered the task's changes), Fence cancels it with
//     CancelWaitForUpdates — one small request, shared by every Fence that
//     arrives meanwhile. The loop knows its own cancel and resumes from the
//     same version, losing nothing.
//
// The alternatives cost more: a short MaxWaitSeconds on every wait makes
// every mutation wait up to that long and keeps a request per second flowing
// at idle; a dedicated trigger (changing a dummy object's property and
// waiting for that change to arrive) writes to vCenter on every mutation.
// Concurrent Fences share rounds: ten tools answering at once cost one cancel
// and one quick round.

// ErrNotLive is returned by Fence while the update stream is broken: the
// mirror serves its last state (with its age) until it recovers.
var ErrNotLive = errors.New("the inventory mirror is not receiving updates from vCenter")

type fenceState struct {
	mu         sync.Mutex
	started    uint64 // rounds started
	done       uint64 // the last round applied
	wanted     bool   // a Fence waits: make the next round quick
	longWait   bool   // a long WaitForUpdatesEx is in flight
	cancelSent bool
	lastCancel time.Time
	pc         types.ManagedObjectReference // the current stream's collector
	changed    chan struct{}                // closed and replaced when done advances or the stream breaks
	broken     bool
}

func (f *fenceState) init() { f.changed = make(chan struct{}) }

// collector is the collector of the current stream, if any.
func (f *fenceState) collector() types.ManagedObjectReference {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pc
}

// begin starts a round: quick when a Fence is waiting.
func (f *fenceState) begin(pc *property.Collector, wait bool) (n uint64, quick bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started++
	quick = f.wanted
	f.wanted = false
	f.longWait = wait && !quick
	f.cancelSent = false
	f.pc = pc.Reference()
	f.broken = false
	return f.started, quick
}

// ended is called when a round's request returned; it reports whether the
// server cancelled a wait recently (so a RequestCanceled fault is its own).
func (f *fenceState) ended() (cancelledRecently bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancelSent {
		f.wanted = true // the Fence that cancelled still waits for a round
	}
	f.longWait, f.cancelSent = false, false
	return time.Since(f.lastCancel) < 10*time.Second
}

// complete marks round n applied.
func (f *fenceState) complete(n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > f.done {
		f.done = n
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// breakOff wakes every Fence: the stream broke.
func (f *fenceState) breakOff() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken, f.longWait = true, false
	close(f.changed)
	f.changed = make(chan struct{})
}

// Fence returns once the mirror has applied every change vCenter had when
// Fence was called, or ctx ends, or the stream is broken (ErrNotLive).
func (m *Mirror) Fence(ctx context.Context) error {
	if !m.State().Live {
		return ErrNotLive
	}
	f := &m.fence
	f.mu.Lock()
	target := f.started + 1
	f.wanted = true
	f.mu.Unlock()
	for {
		f.mu.Lock()
		done, broken, ch := f.done >= target, f.broken, f.changed
		// Cut short the long wait in flight, at once. A cancel can reach
		// vCenter before the wait it means to end (the wait's request is
		// still on its way) and be lost, so it is sent again while that wait
		// lasts — but only that re-sending waits for RecancelAfter: a new
		// wait's first cancel does not wait for an earlier wait's cancel to
		// age (which cost every mutation up to twice RecancelAfter).
		var cancel types.ManagedObjectReference
		if !done && !broken && f.longWait && f.started < target && (!f.cancelSent || time.Since(f.lastCancel) >= m.opts.RecancelAfter) {
			f.cancelSent, f.lastCancel, cancel = true, time.Now(), f.pc
		}
		f.mu.Unlock()
		switch {
		case done:
			return nil
		case broken:
			return ErrNotLive
		}
		if cancel.Value != "" {
			// A failure here only delays the round until the wait ends by itself
			// — except when vCenter no longer knows the collector (the session
			// was replaced by a re-login): the stream is dead and recovers by
			// itself, so the mirror is not live until it has.
			_, err := methods.CancelWaitForUpdates(ctx, m.vim, &types.CancelWaitForUpdates{This: cancel})
			if fault.Is(err, &types.ManagedObjectNotFound{}) {
				return ErrNotLive
			}
		}
		select {
		case <-ch:
		case <-time.After(m.opts.RecancelAfter):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
