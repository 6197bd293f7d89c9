package vsphere

import (
	"context"
	"sync"
	"testing"

	"github.com/vmware/govmomi/performance"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// connectSim starts a simulator and connects a Client to it, as the server does.
func connectSim(t *testing.T, esx bool) (*Client, *simulator.Simulator) {
	t.Helper()
	ctx := context.Background()
	sim, err := simulator.Start(ctx, simulator.Options{ESX: esx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c, err := Connect(ctx, ConnectOptions{URL: sim.URL, User: sim.User, Password: sim.Password, CAFile: sim.CAFile, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, sim
}

// TestCounterCatalogueReadOnce: the first stats read loads the catalogue, later
// (and concurrent) reads reuse it, and its ids are the server's own.
func TestCounterCatalogueReadOnce(t *testing.T) {
	for _, esx := range []bool{false, true} {
		c, sim := connectSim(t, esx)
		ctx := context.Background()
		vm := map[bool]string{false: "DC0_H0_VM0", true: "ha-host_VM0"}[esx]
		if c.perf.Load() != nil {
			t.Fatal("catalogue loaded before any stats read")
		}
		if _, err := c.GetVMStats(ctx, vm, 0); err != nil {
			t.Fatal(err)
		}
		first := c.perf.Load()
		if first == nil {
			t.Fatal("catalogue not kept after the first stats read")
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := c.GetVMStats(ctx, vm, 5); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if c.perf.Load() != first {
			t.Error("catalogue read again by a later stats read")
		}

		vc, err := sim.Client(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName, err := performance.NewManager(vc).CounterInfoByName(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range statsCounters {
			if id, ok := first.id(name); !ok || id != byName[name].Key {
				t.Errorf("ESX %v: catalogue id of %s = %d, %v; the server says %d", esx, name, id, ok, byName[name].Key)
			}
		}
	}
}
