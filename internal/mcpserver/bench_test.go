package mcpserver_test

import (
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// BenchmarkListVMs measures one list_vms page of 1000 over the MCP protocol
// against a simulator with about 500 VMs, and reports SOAP requests per call.
// Run: go test ./internal/mcpserver -run '^$' -bench ListVMs
func BenchmarkListVMs(b *testing.B) {
	e := testenv.New(b, testenv.Options{VMsPerPool: 250})
	args := map[string]any{"limit": 1000}
	e.ResetSOAP()
	b.ResetTimer()
	for b.Loop() {
		if l := testenv.CallOK[vsphere.VMList](b, e, "list_vms", args); l.Total < 500 {
			b.Fatalf("only %d VMs", l.Total)
		}
	}
	soap, _ := e.SOAP()
	b.ReportMetric(float64(soap)/float64(b.N), "soap/op")
}
