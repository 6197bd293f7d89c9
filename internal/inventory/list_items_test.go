package inventory_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// itemChanges rewrites, in the simulator's WaitForUpdatesEx answers, a change
// of a VM's whole device list into a change of one item of it
// (config.hardware.device[4000], op add), as vCenter may report a list
// change. The simulator always reports whole lists.
type itemChanges struct {
	on        atomic.Bool
	rewritten atomic.Int64
}

var (
	wholeList = []byte("<name>config.hardware.device</name><op>assign</op>")
	oneItem   = []byte("<name>config.hardware.device[4000]</name><op>add</op>")
)

func (c *itemChanges) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if simulator.RequestMethod(r) != "WaitForUpdatesEx" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		// Whether to rewrite is decided when the answer is made, not when the
		// request came: a long wait that began before the test switched this
		// on can carry the change.
		if n := bytes.Count(body, wholeList); n > 0 && c.on.Load() {
			c.rewritten.Add(int64(n))
			body = bytes.ReplaceAll(body, wholeList, oneItem)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// TestListItemChangesAreReadAgain: a change to one item of a mirrored list
// (here a NIC added, reported as config.hardware.device[4000], op add)
// cannot be applied as such; the mirror reads the object's properties again,
// so the new NIC shows as it does after a whole-list change.
func TestListItemChangesAreReadAgain(t *testing.T) {
	items := &itemChanges{}
	f := startOn(t, simulator.Options{WrapSOAP: items.wrap}, inventory.Options{})
	vm := f.vm(t, "DC0_H0_VM0")
	id := vm.Reference().Value
	nics := func(v *inventory.View) int {
		if m := v.VM(id); m != nil {
			return len(m.NICs)
		}
		return -1
	}
	var before int
	f.mirror.Read(func(v *inventory.View) { before = nics(v) })

	ctx := context.Background()
	network, err := find.NewFinder(f.other).Network(ctx, "VM Network")
	if err != nil {
		t.Fatal(err)
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	card, err := object.EthernetCardTypes().CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		t.Fatal(err)
	}
	items.on.Store(true)
	if err := vm.AddDevice(ctx, card); err != nil {
		t.Fatal(err)
	}
	f.eventually(t, "the added NIC", func(v *inventory.View) bool { return nics(v) == before+1 })
	if items.rewritten.Load() == 0 {
		t.Fatal("no device-list change was rewritten into an item change: the test did not exercise it")
	}
}

// TestRereadSkipsDeletedObjects: an object deleted between the change that
// made it stale and its re-read is skipped, and the others are read. The
// simulator leaves a missing object out of the results; vCenter reports it
// with ManagedObjectNotFound in its missing set, which is not mirrored either.
func TestRereadSkipsDeletedObjects(t *testing.T) {
	f := start(t, inventory.Options{})
	vm := f.vm(t, "DC0_H0_VM0")
	deleted := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-deleted-meanwhile"}
	if err := f.mirror.Reread(context.Background(), vm.Reference(), deleted); err != nil {
		t.Fatalf("re-reading a VM and a deleted one: %v", err)
	}
	f.mirror.ApplyContent(types.ObjectContent{Obj: deleted, MissingSet: []types.MissingProperty{
		{Fault: types.LocalizedMethodFault{Fault: &types.ManagedObjectNotFound{Obj: deleted}}},
	}})
	f.mirror.Read(func(v *inventory.View) {
		if v.VM(vm.Reference().Value) == nil {
			t.Error("the VM read again is not mirrored")
		}
		if v.VM(deleted.Value) != nil {
			t.Error("the deleted VM is mirrored (as an empty VM)")
		}
	})
}
