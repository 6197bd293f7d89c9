package vsphere

import (
	"context"
	"reflect"
	"testing"

	"github.com/vmware/govmomi/object"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// TestNameIndexListsAsTheScanDoes: a listing answered from the name index
// (by name, from the first page, no filter but the template choice) is the
// same page, total, truncation and cursor as the full scan gives — for every
// template choice and page size, and again after the inventory changed.
func TestNameIndexListsAsTheScanDoes(t *testing.T) {
	c, _ := connectSim(t, false)
	ctx := context.Background()
	if err := c.Mirror().WaitFilled(ctx); err != nil {
		t.Fatal(err)
	}
	filters := []ListFilter{
		{Sort: SortName},
		{Sort: SortName, IncludeTemplates: true},
		{Sort: SortName, TemplatesOnly: true},
	}
	compare := func(when string) {
		t.Helper()
		for _, f := range filters {
			for _, limit := range []int{1, 2, 3, 100} {
				if !indexable(f, nil) {
					t.Fatalf("filter %+v should be answered from the index", f)
				}
				var fromIndex, fromScan *VMList
				var errIndex, errScan error
				err := c.readMirror(ctx, func(v *inventory.View) {
					fromIndex, errIndex = listFromIndex(v, f, limit, c.mirror.Epoch(), &c.listIndex)
					fromScan, errScan = listVMs(v, f, limit, nil, c.mirror.Epoch())
				})
				if err != nil || errIndex != nil || errScan != nil {
					t.Fatalf("%s: %v / %v / %v", when, err, errIndex, errScan)
				}
				if !reflect.DeepEqual(fromIndex, fromScan) {
					t.Errorf("%s, filter %+v, limit %d:\n index %+v\n scan  %+v", when, f, limit, fromIndex, fromScan)
				}
				if fromScan.Total == 0 {
					t.Errorf("%s, filter %+v: the inventory lists nothing; the comparison proves nothing", when, f)
				}
			}
		}
	}
	compare("at start")

	// A rename moves a VM in the order: the index must follow the mirror's version.
	vm, err := c.FindVM(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	task, err := object.NewVirtualMachine(c.vim, vm.Ref()).Rename(ctx, "A-first-now")
	if err == nil {
		err = task.Wait(ctx)
	}
	if err == nil {
		err = c.mirror.Fence(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	compare("after a rename")
	var first *VMList
	if err := c.readMirror(ctx, func(v *inventory.View) {
		first, _ = listFromIndex(v, ListFilter{Sort: SortName}, 1, c.mirror.Epoch(), &c.listIndex)
	}); err != nil || first == nil || len(first.VMs) != 1 || first.VMs[0].Name != "A-first-now" {
		t.Errorf("after the rename the first VM by name is %+v, want A-first-now", first)
	}
}
