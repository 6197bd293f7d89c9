package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// Who made the calls of an operation.
const (
	byServer     = "this server (MCP, Streamable HTTP)"
	byPlainPage  = "plain govmomi: names, then the page"
	byPlainAll   = "plain govmomi: one retrieval of everything"
	byPlainFind  = "plain govmomi: names, then the VM"
	byPlainQuery = "plain govmomi: names, then QueryPerf"
	byPlainPower = "plain govmomi: names, then PowerOn and its task"
)

// opResult is one operation measured for one client.
type opResult struct {
	Op, By  string
	Samples []time.Duration
	// SOAP requests and bytes per call, seen at the simulator.
	Requests, Bytes float64
	Errors          int
	Err             error // the first error
	Names           int   // list operations: VMs the plain client read, or the server's answer counted, on the last call
}

// step is one operation measured for one client.
type step struct {
	op, by string
	fn     func(i int) (names int, err error)
	done   func(calls int) // after the last call, with the number of calls
}

// readSteps are the operations that change nothing: each through the server
// and, beside it, the same reads by the plain client.
func readSteps(ctx context.Context, o options, cs *mcp.ClientSession, plain *plainClient) []step {
	spread := func(i int) string { return simulator.BulkVMName((i * 7919) % o.VMs) }
	list := func(limit int) func(int) (int, error) {
		return func(int) (int, error) { return listTotal(ctx, cs, limit) }
	}
	return []step{
		{"list_vms first page (limit 100)", byServer, list(100), nil},
		{"list_vms first page (limit 100)", byPlainPage, func(int) (int, error) { return plain.page(ctx, 100) }, nil},
		{"list_vms first page (limit 100)", byPlainAll, func(int) (int, error) { return plain.everything(ctx) }, nil},
		{"list_vms limit 1000", byServer, list(1000), nil},
		{"list_vms limit 1000", byPlainPage, func(int) (int, error) { return plain.page(ctx, 1000) }, nil},
		{"get_vm by name", byServer, call(ctx, cs, "get_vm", func(i int) map[string]any { return map[string]any{"name": spread(i)} }), nil},
		{"get_vm by name", byPlainFind, func(i int) (int, error) { return 0, plain.getVM(ctx, spread(i)) }, nil},
	}
}

// writeSteps are power_on_vm and then the stats of the VMs it powered on
// (the server skips the performance query of a VM that is off). They come
// after the load phase: every change makes govmomi's simulator recompute
// its whole property filter (vCenter does not), and at 10,000 VMs it is still
// catching up, on this machine's cores, long after the change.
func writeSteps(ctx context.Context, o options, cs *mcp.ClientSession, plain *plainClient, log io.Writer) []step {
	// VMs are added off. The server powers on bulk VMs 0, 1, ... and the plain
	// client Reps, Reps+1, ...; their stats are then read from those.
	serverOn, plainOn := 1, 1
	serverVM := func(i int) string { return simulator.BulkVMName(i % serverOn) }
	plainVM := func(i int) string { return simulator.BulkVMName(o.Reps + i%plainOn) }
	return []step{
		{"power_on_vm by name", byServer, call(ctx, cs, "power_on_vm", func(i int) map[string]any { return map[string]any{"name": simulator.BulkVMName(i)} }),
			func(calls int) {
				serverOn = calls
				// Stats are measured at steady state: once the server's reads
				// show the VMs on (its inventory mirror may lag behind the
				// simulator, whose update rounds are slow at this size).
				start := time.Now()
				if err := awaitPoweredOn(ctx, cs, calls); err != nil {
					fmt.Fprintf(log, "  the server's reads did not show the powered-on VMs: %v\n", err)
				} else {
					fmt.Fprintf(log, "  the server's reads showed the powered-on VMs %s after the last power_on_vm answered\n", time.Since(start).Round(100*time.Millisecond))
				}
			}},
		{"power_on_vm by name", byPlainPower, func(i int) (int, error) { return 0, plain.powerOn(ctx, simulator.BulkVMName(o.Reps+i)) },
			func(calls int) { plainOn = calls }},
		{"get_vm_stats (latest sample)", byServer, call(ctx, cs, "get_vm_stats", func(i int) map[string]any { return map[string]any{"name": serverVM(i)} }), nil},
		{"get_vm_stats (latest sample)", byPlainQuery, func(i int) (int, error) { return 0, plain.stats(ctx, plainVM(i)) }, nil},
	}
}

// call makes a step of calls to a tool through the server.
func call(ctx context.Context, cs *mcp.ClientSession, name string, args func(i int) map[string]any) func(int) (int, error) {
	return func(i int) (int, error) { return 0, callTool(ctx, cs, name, args(i)) }
}

// measureSteps measures each step in turn.
func measureSteps(ctx context.Context, o options, m *meter, steps []step, log io.Writer) ([]opResult, error) {
	var out []opResult
	for _, s := range steps {
		r := measure(ctx, m, o.Reps, o.Budget, s.fn)
		r.Op, r.By = s.op, s.by
		if s.done != nil {
			s.done(len(r.Samples))
		}
		fmt.Fprintf(log, "  %-32s %-48s median %s over %d calls\n", r.Op, r.By, median(r.Samples).Round(time.Millisecond), len(r.Samples))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out = append(out, r)
	}
	return out, nil
}

// awaitPoweredOn waits, at most two minutes, until get_vm through the
// server shows bulk VMs 0..n-1 powered on.
func awaitPoweredOn(ctx context.Context, cs *mcp.ClientSession, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		for {
			res, err := callToolResult(ctx, cs, "get_vm", map[string]any{"name": simulator.BulkVMName(i)})
			if err != nil {
				return err
			}
			var vm struct {
				PowerState string `json:"power_state"`
			}
			if b, err := json.Marshal(res.StructuredContent); err == nil && json.Unmarshal(b, &vm) == nil && vm.PowerState == "poweredOn" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %w", simulator.BulkVMName(i), ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// listTotal calls list_vms with a limit and returns the number of VMs it
// reports in all (templates aside, as list_vms leaves them out by default);
// a page that does not hold min(limit, total) VMs is an error.
func listTotal(ctx context.Context, cs *mcp.ClientSession, limit int) (int, error) {
	res, err := callToolResult(ctx, cs, "list_vms", map[string]any{"limit": limit})
	if err != nil {
		return 0, err
	}
	var out struct {
		VMs   []json.RawMessage `json:"vms"`
		Total int               `json:"total"`
	}
	b, err := json.Marshal(res.StructuredContent)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return 0, fmt.Errorf("list_vms: decoding the answer: %w", err)
	}
	if len(out.VMs) != min(limit, out.Total) {
		return 0, fmt.Errorf("list_vms: a page of %d VMs out of %d with limit %d", len(out.VMs), out.Total, limit)
	}
	return out.Total, nil
}

// measure calls fn reps times, or until the budget is spent (0: no budget)
// after at least minSamples calls, and reports the calls' durations and their
// SOAP traffic per call as seen at the simulator (which includes anything the
// server does in the background meanwhile).
func measure(ctx context.Context, m *meter, reps int, budget time.Duration, fn func(int) (int, error)) opResult {
	var r opResult
	before, start := m.snapshot(), time.Now()
	for i := 0; i < reps && ctx.Err() == nil; i++ {
		if budget > 0 && i >= minSamples && time.Since(start) > budget {
			break
		}
		t0 := time.Now()
		names, err := fn(i)
		r.Samples = append(r.Samples, time.Since(t0))
		r.Names = names
		if err != nil {
			r.Errors++
			if r.Err == nil {
				r.Err = err
			}
		}
	}
	if n := float64(len(r.Samples)); n > 0 {
		d := m.snapshot().minus(before)
		r.Requests, r.Bytes = float64(d.Requests)/n, float64(d.Bytes)/n
	}
	return r
}
