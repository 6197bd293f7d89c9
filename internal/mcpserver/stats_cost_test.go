package mcpserver_test

import (
	"context"
	"maps"
	"net/url"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestVMStatsSOAPBudget counts the SOAP requests of one stats read. The VM,
// its configuration, NICs and storage come from the inventory mirror, so at
// steady state a read of a powered-on VM makes exactly one request, its
// QueryPerf, whatever the reference, window, inventory size or way in (tool
// or resource); a VM that is not powered on makes none. A session's first
// read of a powered-on VM also reads the counter catalogue, once.
func TestVMStatsSOAPBudget(t *testing.T) {
	first := map[string]int{"RetrievePropertiesEx": 1, "QueryPerf": 1}
	live := map[string]int{"QueryPerf": 1}
	off := map[string]int{}
	type read struct {
		name string
		args map[string]any // tool arguments; nil reads the resource of uri
		uri  string
		want map[string]int
	}
	cases := []struct {
		name  string
		opts  testenv.Options
		reads []read
	}{
		{"vCenter", testenv.Options{}, []read{
			{"powered-off VM before any read (needs no catalogue)", map[string]any{"name": "DC0_C0_RP0_VM1"}, "", off},
			{"first read of a powered-on VM (loads the counter catalogue)", map[string]any{"name": "DC0_H0_VM0"}, "", first},
			{"second read", map[string]any{"name": "DC0_H0_VM0"}, "", live},
			{"by path", map[string]any{"name": "/DC0/vm/DC0_H0_VM0"}, "", live},
			{"by id", map[string]any{"name": "$id"}, "", live},
			{"30-minute window", map[string]any{"name": "DC0_H0_VM0", "window_minutes": 30}, "", live},
			{"24-hour window", map[string]any{"name": "DC0_H0_VM0", "window_minutes": 1440}, "", live},
			{"another VM", map[string]any{"name": "DC0_C0_RP0_VM0"}, "", live},
			{"powered-off VM", map[string]any{"name": "DC0_C0_RP0_VM1"}, "", off},
			{"template", map[string]any{"name": "ubuntu-22.04-template"}, "", off},
			{"resource", nil, "vmstats://" + url.PathEscape("/DC0/vm/DC0_H0_VM0"), live},
		}},
		{"vCenter, 8 VMs per pool", testenv.Options{VMsPerPool: 8}, []read{
			{"first read", map[string]any{"name": "DC0_H0_VM5"}, "", first},
			{"second read", map[string]any{"name": "DC0_C0_RP0_VM3"}, "", live},
		}},
		{"ESXi", testenv.Options{ESX: true}, []read{
			{"first read", map[string]any{"name": "ha-host_VM0"}, "", first},
			{"window", map[string]any{"name": "ha-host_VM0", "window_minutes": 120}, "", live},
			{"resource", nil, "vmstats://ha-host_VM0", live},
			{"powered-off VM", map[string]any{"name": "ha-host_VM1"}, "", off},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testenv.New(t, c.opts)
			for _, r := range c.reads {
				if r.args["name"] == "$id" {
					r.args = map[string]any{"name": vmByName(t, e, "DC0_H0_VM0").Self.Value}
				}
				e.ResetSOAP()
				if r.args != nil {
					testenv.CallOK[map[string]any](t, e, "get_vm_stats", r.args)
				} else if _, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: r.uri}); err != nil {
					t.Fatalf("%s: reading %s: %v", r.name, r.uri, err)
				}
				total, byMethod := e.SOAP()
				delete(byMethod, "WaitForUpdatesEx") // the inventory mirror's update stream, in the background
				t.Logf("%s: %d SOAP requests %v", r.name, total, byMethod)
				if !maps.Equal(byMethod, r.want) {
					t.Errorf("%s: %d SOAP requests %v, want %v", r.name, total, byMethod, r.want)
				}
			}
		})
	}
}

// TestPlacementListsSOAPBudget: each inventory tool is answered from the
// inventory mirror: no SOAP request, whatever the inventory size.
func TestPlacementListsSOAPBudget(t *testing.T) {
	want := map[string]int{}
	for _, opts := range []testenv.Options{{}, {VMsPerPool: 8}, {ESX: true}} {
		e := testenv.New(t, opts)
		for _, tool := range []string{"list_hosts", "list_datastores", "list_networks"} {
			e.ResetSOAP()
			testenv.CallOK[map[string]any](t, e, tool, map[string]any{})
			total, byMethod := e.SOAP()
			delete(byMethod, "WaitForUpdatesEx") // the inventory mirror's update stream, in the background
			t.Logf("%s (ESX %v, %d VMs per pool): %d SOAP requests %v", tool, opts.ESX, opts.VMsPerPool, total, byMethod)
			if !maps.Equal(byMethod, want) {
				t.Errorf("%s: SOAP requests %v, want %v", tool, byMethod, want)
			}
		}
	}
}
