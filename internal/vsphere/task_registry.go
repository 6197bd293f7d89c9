package vsphere

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxRememberedTasks bounds the tasks the server remembers having started.
const maxRememberedTasks = 1000

// errShuttingDown is why waits end and re-logins are refused once shutdown has begun.
var errShuttingDown = errors.New("the server is shutting down")

// errWaitLimit is why a wait ends at task_wait_seconds.
var errWaitLimit = errors.New("the task wait limit passed")

// taskState is what the Client knows about the tasks it runs: how long a call
// waits for them, which ones it started (get_task says what they were), the
// detached clean-ups (cancel, undo) still under way, and whether the server
// is shutting down.
type taskState struct {
	mu     sync.Mutex
	wait   time.Duration // 0: wait for the end
	beat   time.Duration // heartbeatEvery; tests shorten it
	byID   map[string]*startedTask
	order  []string // oldest first
	active int      // detached clean-ups under way
	idle   chan struct{}

	stop     context.Context // cancelled (cause errShuttingDown) when waits must end
	stopWait context.CancelCauseFunc
	closing  bool // shutdown has begun: no re-login
}

// startedTask is a task this server started.
type startedTask struct {
	What    string
	Started time.Time
}

func newTaskState() *taskState {
	idle := make(chan struct{})
	close(idle)
	stop, cancel := context.WithCancelCause(context.Background())
	return &taskState{byID: map[string]*startedTask{}, idle: idle, stop: stop, stopWait: cancel, beat: heartbeatEvery}
}

// SetTaskWait sets how long a call waits for its vSphere tasks before
// answering with the task still running (task_wait_seconds); 0 waits to the end.
func (c *Client) SetTaskWait(d time.Duration) {
	c.tasks.mu.Lock()
	defer c.tasks.mu.Unlock()
	c.tasks.wait = max(d, 0)
}

func (s *taskState) waitLimit() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wait
}

type waitBudgetKey struct{}

// waitBudget is one call's task wait budget. It starts when the call's first
// task is waited for, not when the call starts: a person's time answering a
// consent question, say, is not the task's.
type waitBudget struct {
	mu       sync.Mutex
	deadline time.Time
}

// start returns the budget's end, starting it (d from now) on its first use.
func (b *waitBudget) start(d time.Duration) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deadline.IsZero() {
		b.deadline = time.Now().Add(d)
	}
	return b.deadline
}

// TaskScope gives a call one task wait budget: every task the call runs on
// the returned context is waited for until, in all, task_wait_seconds have
// passed since the first of them. Without it each task gets the whole budget.
func (c *Client) TaskScope(ctx context.Context) context.Context {
	if c == nil || c.tasks == nil {
		return ctx
	}
	if _, ok := ctx.Value(waitBudgetKey{}).(*waitBudget); ok {
		return ctx
	}
	return context.WithValue(ctx, waitBudgetKey{}, &waitBudget{})
}

type unlimitedKey struct{}

// unlimited marks a clean-up's context: its waits end only with the context,
// not at the wait limit or at shutdown.
func unlimited(ctx context.Context) context.Context {
	return context.WithValue(ctx, unlimitedKey{}, true)
}

// waitContext is ctx, ended also (with a cause) when the wait budget is spent
// or the server begins answering every waiting call before shutting down.
func (s *taskState) waitContext(ctx context.Context) (context.Context, func()) {
	if ctx.Value(unlimitedKey{}) != nil {
		return ctx, func() {}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	var deadline time.Time
	if d := s.waitLimit(); d > 0 {
		if b, ok := ctx.Value(waitBudgetKey{}).(*waitBudget); ok {
			deadline = b.start(d)
		} else {
			deadline = time.Now().Add(d)
		}
	}
	if !deadline.IsZero() {
		timer = time.AfterFunc(time.Until(deadline), func() { cancel(errWaitLimit) })
	}
	unhook := context.AfterFunc(s.stop, func() { cancel(errShuttingDown) })
	return wctx, func() {
		unhook()
		if timer != nil {
			timer.Stop()
		}
		cancel(nil)
	}
}

// untilShutdown is ctx, ended also (with cause errShuttingDown) when the
// server begins answering every waiting call before shutting down: for the
// waits that are not a task's (get_task's, a guest shutdown's).
func (s *taskState) untilShutdown(ctx context.Context) (context.Context, func()) {
	sctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(s.stop, func() { cancel(errShuttingDown) })
	return sctx, func() {
		unhook()
		cancel(nil)
	}
}

// remember records a task this server started, forgetting the oldest beyond the bound.
func (s *taskState) remember(id, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; ok {
		return
	}
	s.byID[id] = &startedTask{What: what, Started: time.Now()}
	s.order = append(s.order, id)
	if len(s.order) > maxRememberedTasks {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *taskState) started(id string) (startedTask, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byID[id]
	if !ok {
		return startedTask{}, false
	}
	return *t, true
}

// cleanup records a detached clean-up (cancelling a task, undoing what it
// made) until the returned function is called; Close waits for them.
func (s *taskState) cleanup() func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == 0 {
		s.idle = make(chan struct{})
	}
	s.active++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.active--
		if s.active == 0 {
			close(s.idle)
		}
	}
}

// awaitCleanups waits until no clean-up is under way, or ctx ends.
func (s *taskState) awaitCleanups(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle, active := s.idle, s.active
		s.mu.Unlock()
		if active == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// StopWaiting makes every call waiting for a vSphere task answer at once with
// the task still running (a *TaskRunningError), as at the end of the shutdown
// grace period. Clean-ups already under way go on.
func (c *Client) StopWaiting() {
	c.tasks.stopWait(errShuttingDown)
}

// beginShutdown refuses re-logins from now on and ends every wait.
func (c *Client) beginShutdown() {
	c.tasks.mu.Lock()
	c.tasks.closing = true
	c.tasks.mu.Unlock()
	c.StopWaiting()
}

func (c *Client) shuttingDown() bool {
	c.tasks.mu.Lock()
	defer c.tasks.mu.Unlock()
	return c.tasks.closing
}
