package vsphere

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/methods"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestReloginCallersWaitWithTheirOwnContext: callers who notice an expired
// session share one re-login; one whose context ends while it is in flight
// returns then — before the login completes — while the login goes on for
// the others (one Login in all).
func TestReloginCallersWaitWithTheirOwnContext(t *testing.T) {
	loginSeen := make(chan struct{}, 8)
	counter := &soapCounter{n: map[string]int{}}
	sim, err := simulator.Start(context.Background(), simulator.Options{SessionTimeout: "1s", OnSOAP: func(m string) {
		counter.on(m)
		if m == "Login" {
			loginSeen <- struct{}{}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c := connect(t, sim, -1)
	<-loginSeen                             // the first login, at connect
	sim.DelayMethod("Login", 3*time.Second) // safe while the mirror's requests run
	time.Sleep(2500 * time.Millisecond)     // let the session expire
	gen := c.gen.Load()
	before := counter.get("Login")

	first := make(chan error, 1)
	go func() {
		_, err := c.ResolvePlacement(context.Background(), PlacementNames{Network: "VM Network"})
		first <- err
	}()
	<-loginSeen // the shared re-login is in flight

	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := c.ResolvePlacement(ctx, PlacementNames{Network: "VM Network"})
		second <- err
	}()
	cancel()
	err = <-second
	if genAtReturn := c.gen.Load(); genAtReturn != gen {
		t.Errorf("the cancelled caller returned only after the re-login completed")
	}
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want its context's error", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("the caller that waited: %v", err)
	}
	if got := counter.get("Login") - before; got != 1 {
		t.Errorf("login attempts = %d, want 1 shared re-login", got)
	}
}

// TestNoReloginAfterClose: once shutdown has begun, an expired session is not
// logged in again.
func TestNoReloginAfterClose(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{})
	c := connect(t, sim, -1)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := counter.get("Login")
	if _, err := c.ResolvePlacement(context.Background(), PlacementNames{Network: "VM Network"}); err == nil {
		t.Fatal("a call after Close succeeded")
	}
	if got := counter.get("Login") - before; got != 0 {
		t.Errorf("%d login attempts after Close, want none", got)
	}
}

// TestCloseWaitsForCleanups: the logout comes after the detached clean-ups
// (cancelling a task, removing what it made) under way at Close have finished.
func TestCloseWaitsForCleanups(t *testing.T) {
	var mu sync.Mutex
	var seq []string
	sim, err := simulator.Start(context.Background(), simulator.Options{OnSOAP: func(m string) {
		mu.Lock()
		defer mu.Unlock()
		seq = append(seq, m)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c := connect(t, sim, -1)
	done := c.tasks.cleanup()
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	// The clean-up's last call to vCenter, then its end.
	if _, err := methods.GetCurrentTime(context.Background(), c.vim); err != nil {
		t.Fatalf("the clean-up's call to vCenter failed (logged out already?): %v", err)
	}
	done()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if i, j := slices.Index(seq, "CurrentTime"), lastIndex(seq, "Logout"); i < 0 || j < i {
		t.Errorf("SOAP calls %v: the logout did not wait for the clean-up", seq)
	}
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}
