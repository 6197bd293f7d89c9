package vsphere

import (
	"context"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// BenchmarkLookup measures resolving a VM name and listing a first page from
// the inventory mirror, on ~500 VMs. Run: go test ./internal/vsphere -run '^$' -bench Lookup
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	sim, err := simulator.Start(ctx, simulator.Options{VMsPerPool: 250})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	c, err := Connect(ctx, ConnectOptions{URL: sim.URL, User: sim.User, Password: sim.Password, CAFile: sim.CAFile, KeepAlive: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close(ctx) }()
	b.Run("FindVM", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.FindVM(ctx, "DC0_H0_VM100"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListVMs first page", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.ListVMs(ctx, ListFilter{}, DefaultListLimit, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
