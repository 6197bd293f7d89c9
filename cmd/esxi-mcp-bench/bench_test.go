package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBenchSmoke runs the whole harness on a tiny inventory, so that it keeps
// working; it checks that every operation ran without error and that the
// counts are sane, never how fast anything was.
func TestBenchSmoke(t *testing.T) {
	const vms = 24
	r, err := run(context.Background(), options{
		VMs: vms, Duration: 300 * time.Millisecond, Sessions: 2, Workers: 2,
		Reps: 3, Budget: time.Minute, MaxConcurrency: 4,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.TotalVMs < vms {
		t.Errorf("the inventory holds %d VMs, want at least the %d added", r.TotalVMs, vms)
	}
	if len(r.Ops) != 11 {
		t.Errorf("measured %d operation rows, want 11", len(r.Ops))
	}
	for _, op := range r.Ops {
		if len(op.Samples) != 3 || op.Errors != 0 {
			t.Errorf("%s by %s: %d calls, %d failed (%v); want 3 without error", op.Op, op.By, len(op.Samples), op.Errors, op.Err)
		}
		serverList := op.By == byServer && strings.HasPrefix(op.Op, "list_vms")
		switch {
		case serverList:
			// The server answers lists from its inventory mirror, without a
			// request to vCenter (whatever its background stream does
			// meanwhile is counted too, so no exact figure is asked); the
			// answer must still hold every VM: all the plain client read but
			// the fixture's one template, which list_vms leaves out.
			if op.Names != r.TotalVMs-1 {
				t.Errorf("%s by %s answered %d VMs in all, want %d (all but the template)", op.Op, op.By, op.Names, r.TotalVMs-1)
			}
		case op.Requests < 1 || op.Bytes <= 0:
			// Everything else, the server's get_vm, power and stats calls
			// and every plain-govmomi read, reaches the simulator.
			t.Errorf("%s by %s: %.1f SOAP requests, %.0f bytes per call; this operation reaches the simulator", op.Op, op.By, op.Requests, op.Bytes)
		}
		if (op.By == byPlainPage || op.By == byPlainAll) && op.Names != r.TotalVMs {
			t.Errorf("%s by %s read %d VMs, want all %d", op.Op, op.By, op.Names, r.TotalVMs)
		}
	}
	if r.Load.Calls == 0 || r.Load.Errors != 0 || r.Load.Unfinished != 0 {
		t.Errorf("load: %d calls answered, %d errors (%s), %d unfinished; want some, none, none",
			r.Load.Calls, r.Load.Errors, r.Load.FirstError, r.Load.Unfinished)
	}
	if r.SOAP["CreateVM_Task"].Requests < vms {
		t.Errorf("the meter saw %d CreateVM_Task requests, want at least %d", r.SOAP["CreateVM_Task"].Requests, vms)
	}
	if err := r.failures(); err != nil {
		t.Error(err)
	}
	if runtime.GOOS == "linux" && (r.Memory.serverAfterFill.RSS == 0 || r.Memory.serverAfterLoad.PeakRSS < r.Memory.serverAfterFill.RSS) {
		t.Errorf("server memory: %d bytes resident after the fill, peak %d after the load; want figures read from its process",
			r.Memory.serverAfterFill.RSS, r.Memory.serverAfterLoad.PeakRSS)
	}

	var out bytes.Buffer
	r.writeMarkdown(&out)
	for _, want := range []string{"| list_vms first page (limit 100) |", "| get_vm by name |", "| power_on_vm by name |",
		"| get_vm_stats (latest sample) |", byPlainPage, "| calls answered |", "| server process, after the load |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
