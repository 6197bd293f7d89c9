package simulator

import (
	"context"
	"sync"
	"testing"

	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// TestFaultOnce: an armed fault is taken by exactly the next request of its
// method, however many requests of it and of other methods run at the same
// time (run with -race: a MaxCount rule of the stock simulator races here).
func TestFaultOnce(t *testing.T) {
	ctx := context.Background()
	sim, c := startTest(t, ctx)
	sim.FaultOnce(&vsim.FaultInjectionRule{MethodName: "CurrentTime", ObjectType: "*", ObjectName: "*", Probability: 1,
		FaultType: vsim.FaultTypeCustom, Fault: &types.SystemError{Reason: "injected"}})

	const callers, calls = 4, 10
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
	)
	for range callers {
		wg.Go(func() {
			for range calls {
				_, err := methods.GetCurrentTime(ctx, c)
				// Other traffic at the same time, which the rule must not touch.
				_, err2 := methods.RetrieveServiceContent(ctx, c, &types.RetrieveServiceContent{This: vim25ServiceInstance})
				mu.Lock()
				if err != nil {
					failed++
				}
				if err2 != nil {
					t.Errorf("a request of another method failed: %v", err2)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != 1 {
		t.Errorf("%d of %d CurrentTime requests took the fault, want exactly 1", failed, callers*calls)
	}
}

var vim25ServiceInstance = types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}
