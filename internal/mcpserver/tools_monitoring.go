package mcpserver

import (
	"context"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// monitoringTools are the statistics and placement-inventory tools.
func (h *handlers) monitoringTools() ([]toolDef, error) {
	var defs []toolDef
	for _, define := range []func() (toolDef, error){
		h.vmStatsTool, h.listHostsTool, h.listDatastoresTool, h.listNetworksTool,
	} {
		d, err := define()
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	return defs, nil
}

type vmStatsInput struct {
	Name          string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	WindowMinutes int    `json:"window_minutes,omitempty" jsonschema:"summarise the last N minutes with min/avg/max: up to 60 from 20-second real-time samples, longer (up to 1440 = 24 hours) from 5-minute rollups; omit for the latest sample only"`
}

func (h *handlers) vmStatsTool() (toolDef, error) {
	d, err := defineTool(&mcp.Tool{
		Name:  "get_vm_stats",
		Title: "Get VM performance statistics",
		Description: "Performance and storage of one VM, the same data as the vmstats://{vm_name} resource: CPU (MHz, usage %, ready %), memory (consumed, active, granted MB, usage %), " +
			"network (receive/transmit KB/s summed over the virtual NICs, and per NIC), disk read/write KB/s, and storage (committed, uncommitted, provisioned GB, per datastore). " +
			"Without window_minutes the figures are the latest 20-second sample; with it, window holds min/avg/max over the window and sample gives the sample times, interval and count. " +
			"counters names the vSphere counter behind every figure; where the 5-minute rollups keep only statistics level 1, network and disk totals come from net.usage and disk.usage (usage_kb_per_sec) and notes say so. " +
			"A VM that is not powered on returns its storage with null cpu/memory/network/disk and a note, not an error. " +
			"The VM, its NICs and storage come from the server's live copy of the inventory; inventory_age_seconds appears only when that copy is not receiving vCenter's updates.",
		Annotations: readOnly(),
	}, h.getVMStats, func(s *shaper) {
		s.length("name", 1, 1024)
		s.bounds("window_minutes", 1, vsphere.MaxStatsWindowMinutes, nil)
	})
	if err != nil {
		return toolDef{}, err
	}
	if err := shareFigureSchemas(d.tool.OutputSchema.(*jsonschema.Schema)); err != nil {
		return toolDef{}, fmt.Errorf("output schema of tool %s: %w", d.tool.Name, err)
	}
	return d, nil
}

// liveSections are the sections of one sample in VMStats and in vsphere.LiveFigures.
var liveSections = []string{"cpu", "memory", "network", "disk"}

// shareFigureSchemas defines the live sections once, under $defs, and refers
// to them from the latest sample and from each window statistic. The schema
// generator inlines them seven times: 15 KB that a client may send to its
// model with every tools/list.
func shareFigureSchemas(s *jsonschema.Schema) error {
	window, ok := s.Properties["window"]
	if !ok || window.Properties["min"] == nil {
		return fmt.Errorf("no window statistics to share")
	}
	figures := window.Properties["min"]
	figures.Description = "the live sections of one sample, or one statistic of each figure over a window"
	s.Defs = map[string]*jsonschema.Schema{"figures": figures}
	for _, name := range liveSections {
		section, top := figures.Properties[name], s.Properties[name]
		if section == nil || top == nil {
			return fmt.Errorf("no %s section to share", name)
		}
		s.Defs[name] = section
		figures.Properties[name] = &jsonschema.Schema{Ref: "#/$defs/" + name}
		s.Properties[name] = &jsonschema.Schema{
			Description: top.Description,
			AnyOf:       []*jsonschema.Schema{{Type: "null"}, {Ref: "#/$defs/" + name}},
		}
	}
	for _, stat := range []string{"min", "avg", "max"} {
		window.Properties[stat] = &jsonschema.Schema{Description: window.Properties[stat].Description, Ref: "#/$defs/figures"}
	}
	return nil
}

func (h *handlers) getVMStats(ctx context.Context, _ *mcp.CallToolRequest, in vmStatsInput) (*mcp.CallToolResult, *vsphere.VMStats, error) {
	stats, err := h.vs.GetVMStats(ctx, in.Name, in.WindowMinutes)
	if err != nil {
		return nil, nil, err
	}
	return nil, stats, nil
}
