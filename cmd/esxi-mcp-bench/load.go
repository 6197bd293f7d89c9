package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// loadGrace is how long calls still in flight when the load phase ends may
// take to finish; those still running then are cut and counted unfinished.
const loadGrace = 60 * time.Second

// loadResult is the outcome of the load phase.
type loadResult struct {
	Calls      int             // calls that answered without error
	Errors     int             // calls that failed (protocol or tool error)
	Unfinished int             // calls cut at the end of the grace period
	Latencies  []time.Duration // of the calls that answered
	Wall       time.Duration   // from the first call to the last answer
	FirstError string
}

// CallsPerSecond is the calls answered without error per second of wall time.
func (l loadResult) CallsPerSecond() float64 {
	if l.Wall <= 0 {
		return 0
	}
	return float64(l.Calls) / l.Wall.Seconds()
}

// runLoad opens Sessions MCP sessions (see rawSession), each with Workers
// concurrent callers that call list_vms (first page) back to back until
// Duration has passed.
func runLoad(ctx context.Context, endpoint string, hc *http.Client, o options) (loadResult, error) {
	sessions := make([]*rawSession, 0, o.Sessions)
	defer func() {
		for _, s := range sessions {
			s.close(context.WithoutCancel(ctx))
		}
	}()
	for range o.Sessions {
		s, err := openRawSession(ctx, hc, endpoint)
		if err != nil {
			return loadResult{}, fmt.Errorf("opening a load session: %w", err)
		}
		sessions = append(sessions, s)
	}

	var (
		mu  sync.Mutex
		res loadResult
		wg  sync.WaitGroup
	)
	start := time.Now()
	stopAt := start.Add(o.Duration)
	cctx, cancel := context.WithDeadline(ctx, stopAt.Add(loadGrace))
	defer cancel()
	for _, s := range sessions {
		for range o.Workers {
			wg.Go(func() {
				var buf bytes.Buffer
				for time.Now().Before(stopAt) {
					t0 := time.Now()
					err := s.listVMs(cctx, 100, &buf)
					d := time.Since(t0)
					mu.Lock()
					switch {
					case err != nil && cctx.Err() != nil:
						res.Unfinished++
					case err != nil:
						res.Errors++
						if res.FirstError == "" {
							res.FirstError = err.Error()
						}
					default:
						res.Calls++
						res.Latencies = append(res.Latencies, d)
					}
					mu.Unlock()
					if cctx.Err() != nil {
						return
					}
				}
			})
		}
	}
	wg.Wait()
	res.Wall = time.Since(start)
	if ctx.Err() != nil {
		return res, fmt.Errorf("load phase: %w", ctx.Err())
	}
	return res, nil
}
