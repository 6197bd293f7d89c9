package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/app"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
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
	sim.Model().DelayConfig.Delay = int(o.Delay / time.Millisecond)
	r.Memory.before = sample()
	fmt.Fprintf(log, "built in %s; starting the server\n", r.BuildTime.Round(time.Second))

	srvCtx, stopServer := context.WithCancel(ctx)
	endpoint, served, err := startServer(srvCtx, sim, o)
	if err != nil {
		stopServer()
		return nil, err
	}
	defer func() {
		stopServer()
		<-served
	}()

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

	fmt.Fprintln(log, "measuring operations...")
	if r.Ops, err = measureOps(ctx, o, m, cs, plain, log); err != nil {
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
	r.Memory.afterLoad = sample()
	r.SOAP = m.byMethodSnapshot()
	return r, nil
}

// startServer runs the real server (internal/app) on the simulator, over
// Streamable HTTP on a loopback port, and returns its MCP endpoint. served is
// closed when the server has stopped.
func startServer(ctx context.Context, sim *simulator.Simulator, o options) (endpoint string, served <-chan struct{}, err error) {
	env := map[string]string{
		"MCP_SIMULATOR":           "true",
		"MCP_LISTEN":              "127.0.0.1:0",
		"MCP_LOG_LEVEL":           "WARN",
		"VCENTER_MAX_CONCURRENCY": strconv.Itoa(o.MaxConcurrency),
	}
	cfg, err := config.Load(config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		return "", nil, err
	}
	addr := make(chan net.Addr, 1)
	done := make(chan struct{})
	runErr := make(chan error, 1)
	go func() {
		defer close(done)
		runErr <- app.Run(ctx, app.Params{
			Config: cfg, Version: "bench", Simulator: sim,
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnListen: func(a net.Addr) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		return "http://" + a.String() + httpserver.Endpoint, done, nil
	case err := <-runErr:
		return "", nil, fmt.Errorf("starting the server: %w", errors.Join(err, errors.New("it stopped before listening")))
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
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

// memory is the process's memory at the points the report shows. The
// simulator runs in this process too: its share is the "before" figures.
type memory struct {
	before, afterFill, afterLoad memSample
}

type memSample struct {
	HeapBytes uint64 // live Go heap after a collection
	PeakRSS   uint64 // VmHWM: the process's peak resident set so far (0: unknown)
}

func sample() memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{HeapBytes: ms.HeapAlloc, PeakRSS: peakRSS()}
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
