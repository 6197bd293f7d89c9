package vsphere

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/progress"
	"github.com/vmware/govmomi/vim25/types"
)

// waitOnce waits for a task's end with govmomi's waiter (one property
// collector, updates pushed by vSphere), forwarding its progress to tr and
// repeating the position every heartbeatEvery while vSphere reports nothing
// new. It returns the last task info seen (final or not) and the wait's error.
//
// The progress goroutine stops when the wait returns, whether or not the
// waiter ever took the sink: it fails before doing so when, say, creating its
// property collector fails or ctx is already cancelled.
func (c *Client) waitOnce(ctx context.Context, t *object.Task, what string, tr *tracker) (*types.TaskInfo, error) {
	if tr == nil || tr.report == nil {
		return t.WaitForResult(ctx)
	}
	id := t.Reference().Value
	ch := make(chan progress.Report, 16) // the waiter drops intermediate reports it cannot deliver at once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		beat := time.NewTicker(c.tasks.beat)
		defer beat.Stop()
		var pct float32
		for {
			select {
			case r, ok := <-ch:
				if !ok {
					return
				}
				if r.Error() == nil {
					pct = r.Percentage()
					tr.note(float64(pct), fmt.Sprintf("%s: vSphere task %s at %.0f%%", what, id, pct))
				}
			case <-beat.C:
				tr.beat(fmt.Sprintf("%s: vSphere task %s still running (%.0f%%)", what, id, pct))
			case <-stop:
				return
			}
		}
	}()
	info, err := t.WaitForResult(ctx, progress.SinkFunc(func() chan<- progress.Report { return ch }))
	close(stop)
	wg.Wait()
	return info, err
}
