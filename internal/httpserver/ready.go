package httpserver

import (
	"context"
	"sync"
	"time"
)

// readyCacheFor is how long a readiness answer is reused: /readyz costs
// vCenter at most one request per this period, whatever the request rate
// (it is unauthenticated, and probes come from every replica's kubelet).
const readyCacheFor = 5 * time.Second

// readyCache runs the readiness check at most once per period; concurrent
// callers while a check runs wait for its answer instead of starting their own.
type readyCache struct {
	check func(context.Context) error
	now   func() time.Time

	mu      sync.Mutex
	at      time.Time
	err     error
	running chan struct{} // closed when the check in progress ends
}

func newReadyCache(check func(context.Context) error) *readyCache {
	return &readyCache{check: check, now: time.Now}
}

func (c *readyCache) ready(ctx context.Context) error {
	if c.check == nil {
		return nil
	}
	c.mu.Lock()
	if !c.at.IsZero() && c.now().Sub(c.at) < readyCacheFor {
		err := c.err
		c.mu.Unlock()
		return err
	}
	running := c.running
	if running == nil {
		running = make(chan struct{})
		c.running = running
		go c.run(running)
	}
	c.mu.Unlock()
	select {
	case <-running:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run checks detached from any one caller: a prober that gives up must not
// cancel the check the others wait for.
func (c *readyCache) run(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.check(ctx)
	c.mu.Lock()
	c.at, c.err, c.running = c.now(), err, nil
	c.mu.Unlock()
	close(done)
}
