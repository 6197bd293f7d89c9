package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// options are the command's flags.
type options struct {
	VMs            int
	Delay          time.Duration
	Duration       time.Duration
	Sessions       int
	Workers        int
	Reps           int
	Budget         time.Duration
	MaxConcurrency int
	GoMemLimit     string // the server's GOMEMLIMIT ("": Go's default, none)
	Server         string // the server binary to measure ("": build it)
	CPUProfile     string // where to write a CPU profile of the load phase ("": none)
}

// minSamples is the fewest calls an operation gets, whatever the budget.
const minSamples = 3

// result is everything one run measured.
type result struct {
	Options   options
	TotalVMs  int           // VMs in the simulated inventory, as the plain client read them
	BuildTime time.Duration // building the simulated inventory
	Ops       []opResult
	Load      loadResult
	Memory    memory
	SOAP      map[string]soapCount // the whole run's SOAP traffic by method
}

// run builds the simulator, starts the server and measures. Progress goes to log.
func run(ctx context.Context, o options, log io.Writer) (*result, error) {
	if o.VMs < 2*o.Reps {
		return nil, fmt.Errorf("-vms %d is too small for -reps %d: power_on_vm needs %d VMs that are off", o.VMs, o.Reps, 2*o.Reps)
	}
	r := &result{Options: o}
	m := newMeter()
	bin := o.Server
	if bin == "" {
		built, cleanup, err := buildServer(ctx, log)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		bin = built
	}

	fmt.Fprintf(log, "building a simulated vCenter with %d more VMs...\n", o.VMs)
	start := time.Now()
	sim, err := simulator.Start(ctx, simulator.Options{WrapSOAP: m.wrap})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	if err := sim.AddVMs(ctx, o.VMs); err != nil {
		return nil, err
	}
	r.BuildTime = time.Since(start)
	sim.DelayEvery(o.Delay)
	r.Memory.before = sample()
	fmt.Fprintf(log, "built in %s; starting the server\n", r.BuildTime.Round(time.Second))

	srv, err := startServer(ctx, bin, sim, o)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	endpoint := srv.endpoint

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(64, o.Sessions*o.Workers)}}
	cs, err := connectMCP(ctx, endpoint, hc)
	if err != nil {
		return nil, err
	}
	defer func() { _ = cs.Close() }()
	// The first call: the server reads (or, with an inventory mirror, fills)
	// its view of the inventory before it can answer.
	if err := callTool(ctx, cs, "list_vms", map[string]any{"limit": 1}); err != nil {
		return nil, fmt.Errorf("first list_vms: %w", err)
	}
	r.Memory.afterFill = sample()
	r.Memory.serverAfterFill = srv.memory()

	vc, err := sim.Client(ctx)
	if err != nil {
		return nil, err
	}
	plain, err := newPlainClient(ctx, vc)
	if err != nil {
		return nil, err
	}
	if r.TotalVMs, err = plain.everything(ctx); err != nil {
		return nil, err
	}

	fmt.Fprintln(log, "measuring reads...")
	if r.Ops, err = measureSteps(ctx, o, m, readSteps(ctx, o, cs, plain), log); err != nil {
		return nil, err
	}

	fmt.Fprintf(log, "load: %d sessions x %d workers calling list_vms for %s...\n", o.Sessions, o.Workers, o.Duration)
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	r.Load, err = runLoad(ctx, endpoint, hc, o)
	stopProfile()
	if err != nil {
		return nil, err
	}
	r.Memory.serverAfterLoad = srv.memory()
	r.Memory.afterLoad = sample()

	fmt.Fprintln(log, "measuring changes...")
	writes, err := measureSteps(ctx, o, m, writeSteps(ctx, o, cs, plain, log), log)
	if err != nil {
		return nil, err
	}
	r.Ops = append(r.Ops, writes...)
	r.SOAP = m.byMethodSnapshot()
	return r, nil
}

func connectMCP(ctx context.Context, endpoint string, hc *http.Client) (*mcp.ClientSession, error) {
	c := mcp.NewClient(&mcp.Implementation{Name: "esxi-mcp-bench", Version: "bench"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc}, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting an MCP client to %s: %w", endpoint, err)
	}
	return cs, nil
}

// callTool calls a tool; a tool error is an error.
func callTool(ctx context.Context, cs *mcp.ClientSession, name string, args any) error {
	_, err := callToolResult(ctx, cs, name, args)
	return err
}

// callToolResult calls a tool and returns its answer; a tool error is an error.
func callToolResult(ctx context.Context, cs *mcp.ClientSession, name string, args any) (*mcp.CallToolResult, error) {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return nil, err
	}
	if res.IsError {
		for _, c := range res.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				return nil, fmt.Errorf("%s: %s", name, t.Text)
			}
		}
		return nil, fmt.Errorf("%s: tool error", name)
	}
	return res, nil
}

// memory is the memory of the server's process, and of this one (the
// simulator and the clients), at the points the report shows.
type memory struct {
	serverAfterFill, serverAfterLoad memSample
	before, afterFill, afterLoad     memSample
}

type memSample struct {
	HeapBytes uint64 // live Go heap after a collection (this process only)
	RSS       uint64 // VmRSS: the resident set now (the server's process only)
	PeakRSS   uint64 // VmHWM: the process's peak resident set so far (0: unknown)
}

func sample() memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{HeapBytes: ms.HeapAlloc, PeakRSS: peakRSS()}
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
