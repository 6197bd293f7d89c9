// Package testenv is the shared test fixture: the in-process simulator, the
// server's vSphere session, the MCP server, and an SDK client connected to it
// over in-memory transports. It also counts the SOAP requests the simulator serves.
package testenv

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// Options shape the environment.
type Options struct {
	ESX                bool
	VMsPerPool         int
	SessionTimeout     string
	ReadOnly           bool
	DisableDestructive bool
	Logger             *slog.Logger
	ClientOptions      *mcp.ClientOptions
	// ProtocolVersion is the MCP version the client asks for (default: the
	// SDK's latest).
	ProtocolVersion string
	// Placement overrides the configured placement names (default: all defaults).
	Placement *vsphere.PlacementNames
	// OnSOAPRequest, when set, sees every SOAP request the simulator serves:
	// its method and whole body (to check what a request carried).
	OnSOAPRequest func(method string, body []byte)
	// Server adjusts the MCP server's options (role, consent, audit) before it is built.
	Server func(*mcpserver.Options)
	// TaskWait is the server's task_wait_seconds (0: wait to the end).
	TaskWait time.Duration
	// Inventory tunes the server's inventory mirror (e.g. a small MaxObjectUpdates).
	Inventory inventory.Options
}

// Env is one running fixture.
type Env struct {
	Sim    *simulator.Simulator
	VS     *vsphere.Client // the server's own session
	Vim    *vim25.Client   // an independent session, to verify side effects directly
	Server *mcp.Server
	Client *mcp.ClientSession

	mu    sync.Mutex
	soap  map[string]int
	whens map[string][]chan struct{} // see WhenSOAP
}

// New starts a fixture; everything is torn down when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{soap: map[string]int{}}
	sim, err := simulator.Start(ctx, simulator.Options{
		ESX: opts.ESX, VMsPerPool: opts.VMsPerPool, SessionTimeout: opts.SessionTimeout, OnSOAP: e.countSOAP,
		OnSOAPBody: opts.OnSOAPRequest,
	})
	if err != nil {
		t.Fatalf("starting simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	e.Sim = sim

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	vs, err := vsphere.Connect(ctx, vsphere.ConnectOptions{
		URL: sim.URL, User: sim.User, Password: sim.Password, CAFile: sim.CAFile,
		KeepAlive: -1, Logger: log, Inventory: opts.Inventory,
		MaxConcurrency: config.DefaultVCenterMaxConcurrency,
	})
	if err != nil {
		t.Fatalf("connecting to simulator: %v", err)
	}
	t.Cleanup(func() { _ = vs.Close(context.Background()) })
	vs.SetTaskWait(opts.TaskWait)
	// Tests start at steady state: the inventory mirror filled.
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = vs.Mirror().WaitFilled(fctx)
	cancel()
	if err != nil {
		t.Fatalf("filling the inventory mirror: %v", err)
	}
	names := vsphere.PlacementNames{Network: config.DefaultNetwork, NetworkDefaulted: true}
	if opts.Placement != nil {
		names = *opts.Placement
	}
	if vs.Defaults, err = vs.ResolvePlacement(ctx, names); err != nil {
		t.Fatalf("resolving placement: %v", err)
	}
	e.VS = vs

	if e.Vim, err = sim.Client(ctx); err != nil {
		t.Fatalf("second session to simulator: %v", err)
	}

	mopts := mcpserver.Options{
		Version: "test", ReadOnly: opts.ReadOnly, DisableDestructive: opts.DisableDestructive, Logger: log,
	}
	if opts.Server != nil {
		opts.Server(&mopts)
	}
	e.Server, err = mcpserver.New(vs, mopts)
	if err != nil {
		t.Fatalf("building MCP server: %v", err)
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := e.Server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("server connect: %v", err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	client := mcp.NewClient(&mcp.Implementation{Name: "testenv", Version: "test"}, opts.ClientOptions)
	if e.Client, err = client.Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: opts.ProtocolVersion}); err != nil {
		t.Fatalf("client connect: %v", err)
	}
	t.Cleanup(func() { _ = e.Client.Close() })
	e.ResetSOAP()
	return e
}

// Fresh waits until the server's inventory mirror has applied every change
// vSphere holds — for a test that changed the inventory behind the server's
// back and now checks a read that must show it. Its bound is generous: the
// simulator collects the whole inventory again for every update it reports
// (vCenter sends only the changes), seconds for a few hundred VMs under the
// race detector.
func (e *Env) Fresh(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.VS.Mirror().Fence(ctx); err != nil {
		t.Fatalf("waiting for the inventory mirror: %v", err)
	}
}

func (e *Env) countSOAP(method string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.soap[method]++
	for _, c := range e.whens[method] {
		close(c)
	}
	delete(e.whens, method)
}

// WhenSOAP returns a channel closed when the simulator next receives a SOAP
// request for method (before serving it), so a test can act at that moment.
func (e *Env) WhenSOAP(method string) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.whens == nil {
		e.whens = map[string][]chan struct{}{}
	}
	c := make(chan struct{})
	e.whens[method] = append(e.whens[method], c)
	return c
}

// ResetSOAP zeroes the SOAP request counters.
func (e *Env) ResetSOAP() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.soap)
}

// SOAP returns the SOAP requests served since the last reset: total and by method.
func (e *Env) SOAP() (int, map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	total := 0
	for _, n := range e.soap {
		total += n
	}
	return total, maps.Clone(e.soap)
}

// Call calls a tool and fails the test on a protocol error (not on a tool error).
func (e *Env) Call(t testing.TB, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := e.Client.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("calling %s: protocol error: %v", name, err)
	}
	return res
}

// CallOK calls a tool, requires success, and decodes its structured content into T.
func CallOK[T any](t testing.TB, e *Env, name string, args any) T {
	t.Helper()
	res := e.Call(t, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) returned a tool error: %s", name, args, Text(res))
	}
	var out T
	b, err := json.Marshal(res.StructuredContent)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		t.Fatalf("%s: decoding structured content: %v", name, err)
	}
	return out
}

// CallErr calls a tool, requires a tool error, and returns its text.
func CallErr(t testing.TB, e *Env, name string, args any) string {
	t.Helper()
	res := e.Call(t, name, args)
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded, want a tool error; got %s", name, args, Text(res))
	}
	return Text(res)
}

// Text concatenates a result's text content.
func Text(res *mcp.CallToolResult) string {
	var s string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			s += tc.Text
		}
	}
	return s
}

// VMs reads every VM straight from vSphere through the independent session
// (never through the server under test), with the given properties.
func (e *Env) VMs(t testing.TB, props ...string) []mo.VirtualMachine {
	t.Helper()
	ctx := context.Background()
	v, err := view.NewManager(e.Vim).CreateContainerView(ctx, e.Vim.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, props, &vms); err != nil {
		t.Fatal(err)
	}
	return vms
}
