// Package inventory keeps an in-memory mirror of a vCenter's (or ESXi host's)
// inventory — VMs, hosts, clusters, datastores, networks, folders, pools,
// vApps and datacenters — with the properties the server reads, filled once
// by a paged retrieval and kept current by vCenter's update stream. Reads are
// answered from memory. It knows nothing of MCP nor of the server's vSphere
// operations: it needs a logged-in govmomi client.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// Options tune the mirror; zero values are the defaults.
type Options struct {
	Logger *slog.Logger
	// PageSize is the MaxObjects of each page of the fill (default 1000).
	PageSize int32
	// MaxObjectUpdates caps the object updates of one WaitForUpdatesEx answer
	// (0: vCenter's policy); larger update sets arrive truncated, in parts.
	MaxObjectUpdates int32
	// MaxWait is how long one WaitForUpdatesEx waits for changes before
	// answering empty (default 30 s). Changes are pushed the moment they
	// happen whatever this is; it bounds how long a dead connection can go
	// unnoticed.
	MaxWait time.Duration
	// RecancelAfter is how long a Fence waits for a wait it cancelled to end
	// before cancelling it again (default 250 ms): a cancel can reach vCenter
	// before the wait it means to end, and be lost.
	RecancelAfter time.Duration
	// StaleAfter is how long the update stream may be broken before Ready
	// reports the mirror unfit to serve (default 2 minutes).
	StaleAfter time.Duration
	// Generation, when set, reports the client's login generation: a change
	// means vCenter dropped the session, with the mirror's collector and view.
	Generation func() uint64
	// MinBackoff and MaxBackoff bound the wait before recovering a broken
	// stream (defaults 200 ms and 30 s); the wait doubles on each failure.
	MinBackoff, MaxBackoff time.Duration
}

// Mirror is the inventory of one vCenter session, shared by every reader.
type Mirror struct {
	vim  *vim25.Client
	opts Options
	log  *slog.Logger

	mu sync.RWMutex
	s  *store

	filled     chan struct{} // closed after the first fill
	fillOnce   sync.Once
	stateMu    sync.Mutex
	live       bool
	lastGood   time.Time // when the mirror was last known current
	lastErr    error
	recoveries int
	truncated  atomic.Int64

	fence fenceState
	epoch uint32 // tells this mirror's paging cursors from another process's

	cancel  context.CancelFunc
	stopped chan struct{}
}

// New makes a mirror of the inventory vim sees; Start fills it and keeps it current.
func New(vim *vim25.Client, opts Options) *Mirror {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	if opts.RecancelAfter <= 0 {
		opts.RecancelAfter = 250 * time.Millisecond
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 30 * time.Second
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 2 * time.Minute
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	m := &Mirror{vim: vim, opts: opts, log: opts.Logger, s: newStore(), filled: make(chan struct{}), stopped: make(chan struct{})}
	m.fence.init()
	m.epoch = rand.Uint32()
	return m
}

// Start fills the mirror and keeps it current in the background until Stop.
func (m *Mirror) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.run(ctx)
}

// Stop ends the update stream and waits for it, bounded by ctx.
func (m *Mirror) Stop(ctx context.Context) {
	if m == nil || m.cancel == nil {
		return
	}
	m.cancel()
	// The request of a pending wait is gone, but vCenter may hold the wait
	// open until its MaxWaitSeconds; end it there too.
	if pc := m.fence.collector(); pc.Value != "" {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _ = methods.CancelWaitForUpdates(cctx, m.vim, &types.CancelWaitForUpdates{This: pc})
		cancel()
	}
	select {
	case <-m.stopped:
	case <-ctx.Done():
	}
}

// ErrNotFilled is returned while the first fill has not completed.
var ErrNotFilled = errors.New("the inventory is still being read from vCenter")

// WaitFilled waits for the first fill to complete, bounded by ctx.
func (m *Mirror) WaitFilled(ctx context.Context) error {
	select {
	case <-m.filled:
		return nil
	default:
	}
	select {
	case <-m.filled:
		return nil
	case <-ctx.Done():
		if err := m.State().Err; err != nil {
			return fmt.Errorf("%w (last attempt: %v)", ErrNotFilled, err)
		}
		return ErrNotFilled
	}
}

// State is the mirror's freshness.
type State struct {
	Filled bool          // the first fill completed
	Live   bool          // the update stream is running: changes arrive as they happen
	Age    time.Duration // 0 when live; otherwise how long since the mirror was last known current
	// Version counts the batches of changes applied.
	Version uint64
	Err     error // why the stream is broken, when it is
}

// State reports the mirror's freshness, without any request to vCenter.
func (m *Mirror) State() State {
	st := State{}
	select {
	case <-m.filled:
		st.Filled = true
	default:
	}
	m.stateMu.Lock()
	st.Live, st.Err = m.live, m.lastErr
	if !m.live && !m.lastGood.IsZero() {
		st.Age = time.Since(m.lastGood)
	}
	m.stateMu.Unlock()
	m.mu.RLock()
	st.Version = m.s.version
	m.mu.RUnlock()
	return st
}

// Ready is nil when the mirror can serve reads: filled, and not stale beyond
// Options.StaleAfter. It makes no request to vCenter.
func (m *Mirror) Ready() error {
	st := m.State()
	switch {
	case !st.Filled && st.Err != nil:
		return fmt.Errorf("%w: %v", ErrNotFilled, st.Err)
	case !st.Filled:
		return ErrNotFilled
	case !st.Live && st.Age > m.opts.StaleAfter:
		return fmt.Errorf("the inventory mirror has not heard from vCenter for %s: %v", st.Age.Round(time.Second), st.Err)
	}
	return nil
}

// Read runs fn with a read-only view of the mirror, under its read lock: fn
// must not keep the pointers it is given (copy values out) and must be quick.
func (m *Mirror) Read(fn func(v *View)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	fn(&View{s: m.s})
}

// Epoch identifies this mirror: versions of another mirror mean nothing here.
func (m *Mirror) Epoch() uint32 { return m.epoch }

func (m *Mirror) setLive(err error) {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if err == nil {
		m.live, m.lastErr, m.lastGood = true, nil, time.Now()
		return
	}
	// lastGood stays the end of the last complete round: what happened
	// after it may not have reached the mirror.
	m.live, m.lastErr = false, err
}

func (m *Mirror) markFilled() {
	m.fillOnce.Do(func() { close(m.filled) })
}
