package httpserver

import (
	"context"
	"sync"
)

// inflight counts requests in progress and lets shutdown wait until there are
// none. Unlike a sync.WaitGroup, a request may start while someone is already
// waiting (a POST that arrives during drain): the wait then covers it too.
type inflight struct {
	mu    sync.Mutex
	n     int
	empty chan struct{} // closed while n == 0; replaced when work starts
}

func newInflight() *inflight {
	empty := make(chan struct{})
	close(empty)
	return &inflight{empty: empty}
}

// start records one more request in progress; done must follow.
func (f *inflight) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.empty = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.empty)
	}
}

// wait returns nil once no request is in progress, or ctx's error if it ends first.
func (f *inflight) wait(ctx context.Context) error {
	for {
		f.mu.Lock()
		empty := f.empty
		f.mu.Unlock()
		select {
		case <-empty:
		case <-ctx.Done():
			return ctx.Err()
		}
		// Work may have started between the close and this check; wait for it too.
		f.mu.Lock()
		idle := f.n == 0
		f.mu.Unlock()
		if idle {
			return nil
		}
	}
}
