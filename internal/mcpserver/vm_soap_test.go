package mcpserver_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestPowerOnCostIsConstant counts the SOAP requests one power_on_vm by name
// costs on a small and on a large inventory: the same, because the name is
// resolved from the inventory mirror (no property retrieval at all), never by
// a walk of the VMs. Only the number of WaitForUpdatesEx and
// CancelWaitForUpdates calls varies: the task waiter's batches of updates and
// the mirror's fences, which depend on timing, not on the inventory.
func TestPowerOnCostIsConstant(t *testing.T) {
	sizes := []struct {
		name       string
		vmsPerPool int
	}{{"small", 0}, {"large", 100}}
	if testing.Short() {
		sizes = sizes[:1]
	}
	var totals []int
	for _, size := range sizes {
		e := testenv.New(t, testenv.Options{VMsPerPool: size.vmsPerPool})
		const name = "DC0_H0_VM1"
		setPower(t, e, name, "poweredOff")
		vms := len(allVMs(t, e))

		e.ResetSOAP()
		out := testenv.CallOK[powerOut](t, e, "power_on_vm", map[string]any{"name": name})
		total, byMethod := e.SOAP()
		if !out.Changed || powerState(t, e, name) != "poweredOn" {
			t.Fatalf("%s: power_on_vm did not power on: %+v", size.name, out)
		}
		methods := slices.Sorted(maps.Keys(byMethod))
		t.Logf("%s inventory (%d VMs): power_on_vm by name cost %d SOAP requests: %v", size.name, vms, total, byMethod)
		if byMethod["RetrievePropertiesEx"]+byMethod["RetrieveProperties"] != 0 {
			t.Errorf("%s: %d property retrievals, want none (the name is resolved from the inventory mirror); methods %v", size.name, byMethod["RetrievePropertiesEx"]+byMethod["RetrieveProperties"], methods)
		}
		for _, m := range []string{"PowerOnVM_Task"} {
			if byMethod[m] != 1 {
				t.Errorf("%s: %d %s, want 1", size.name, byMethod[m], m)
			}
		}
		totals = append(totals, total-byMethod["WaitForUpdatesEx"]-byMethod["CancelWaitForUpdates"])
	}
	if len(totals) == 2 && totals[0] != totals[1] {
		t.Errorf("besides waiting, power_on_vm by name costs %d SOAP requests on the small inventory and %d on the large one", totals[0], totals[1])
	}
}
