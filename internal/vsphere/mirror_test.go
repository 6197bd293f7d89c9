package vsphere

import (
	"context"
	"strings"
	"testing"
	"time"

	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestReadinessFollowsTheMirror: not ready while the first fill runs (reads
// wait for it); ready once filled; not ready when the update stream has been
// broken for longer than the bound — while reads keep answering from the last
// state with its age — and ready again once it recovers by itself. Ready
// makes no SOAP request.
func TestReadinessFollowsTheMirror(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{})
	svc := sim.Model().Service
	// A slow first fill: its retrieval fails after 300 ms, and the mirror
	// reads again. (A fault rule, not the simulator's delays: those cannot be
	// changed safely while it serves.)
	sim.FaultOnce(&vsim.FaultInjectionRule{MethodName: "RetrievePropertiesEx", ObjectType: "*", ObjectName: "*", Probability: 1,
		Delay: 300, FaultType: vsim.FaultTypeCustom, Fault: &types.SystemError{Reason: "busy"}})
	c, err := Connect(context.Background(), ConnectOptions{
		URL: sim.URL, User: sim.User, Password: sim.Password, CAFile: sim.CAFile, KeepAlive: -1,
		Inventory: inventory.Options{StaleAfter: 300 * time.Millisecond, MaxWait: time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	ctx := context.Background()
	if err := c.Ready(ctx); err == nil || !strings.Contains(err.Error(), "still being read") {
		t.Errorf("Ready during the first fill = %v, want not ready", err)
	}
	// A read waits for the fill rather than answering from half an inventory.
	list, err := c.ListVMs(ctx, ListFilter{IncludeTemplates: true}, 0, "")
	if err != nil || list.Total < 4 {
		t.Fatalf("list during the fill: %+v, %v", list, err)
	}
	svc.ClearFaultRules()
	if err := c.Ready(ctx); err != nil {
		t.Errorf("Ready after the fill: %v", err)
	}
	before := counter.get("CurrentTime") + counter.get("RetrievePropertiesEx")
	for range 100 {
		_ = c.Ready(ctx)
	}
	if after := counter.get("CurrentTime") + counter.get("RetrievePropertiesEx"); after != before {
		t.Errorf("100 Ready calls made %d SOAP requests", after-before)
	}

	// Break the stream and every re-fill.
	for _, m := range []string{"WaitForUpdatesEx", "RetrievePropertiesEx", "CreatePropertyCollector"} {
		svc.AddFaultRule(&vsim.FaultInjectionRule{MethodName: m, ObjectType: "*", ObjectName: "*", Probability: 1, Enabled: true,
			FaultType: vsim.FaultTypeCustom, Fault: &types.SystemError{Reason: "vCenter is restarting"}})
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Ready(ctx) == nil {
		if time.Now().After(deadline) {
			t.Fatal("Ready stays ready with the update stream broken beyond the bound")
		}
		time.Sleep(20 * time.Millisecond)
	}
	list, err = c.ListVMs(ctx, ListFilter{}, 0, "")
	if err != nil || list.Total == 0 {
		t.Fatalf("list from a stale mirror: %+v, %v", list, err)
	}
	if list.InventoryAgeSeconds <= 0 || list.InventoryNote == "" {
		t.Errorf("a stale answer does not say how old it is: age %v, note %q", list.InventoryAgeSeconds, list.InventoryNote)
	}

	svc.ClearFaultRules()
	deadline = time.Now().Add(10 * time.Second)
	for c.Ready(ctx) != nil || !c.Mirror().State().Live {
		if time.Now().After(deadline) {
			t.Fatalf("the mirror did not recover: %v", c.Ready(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if list, _ := c.ListVMs(ctx, ListFilter{}, 0, ""); list.InventoryNote != "" {
		t.Errorf("a live answer carries a staleness note: %q", list.InventoryNote)
	}
}
