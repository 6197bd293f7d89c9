package simulator

import (
	"context"
	"testing"

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
