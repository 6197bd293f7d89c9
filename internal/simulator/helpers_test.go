package simulator

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25"
)

// startTest starts a simulator closed when the test ends, and logs a client in.
func startTest(t *testing.T, ctx context.Context) (*Simulator, *vim25.Client) {
	t.Helper()
	sim, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// datacenterFinder is a finder set to the simulator's datacenter.
func datacenterFinder(t *testing.T, ctx context.Context, c *vim25.Client) *find.Finder {
	t.Helper()
	finder := find.NewFinder(c)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	return finder
}
