// Package app wires the configured pieces together and runs the server until
// its context ends: simulator (optional), vSphere session, MCP server, transport.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/metrics"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/toolcalls"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// closeWait bounds, at shutdown, the detached clean-ups of cancelled tasks
// (cancel, undo) before the vCenter logout.
const closeWait = 45 * time.Second

// Params are everything Run needs.
type Params struct {
	Config  *config.Config
	Version string
	Logger  *slog.Logger
	// Banner receives the human-oriented start-up text (stderr).
	Banner io.Writer
	// Stdio is the transport for --transport stdio (nil: the process's stdin and stdout).
	Stdio mcp.Transport
	// OnListen is told the HTTP address once bound.
	OnListen func(net.Addr)
	// Reload delivers SIGHUP: reopen the audit log, reload the API keys
	// through Reconfigure (nil: no reloading).
	Reload      <-chan os.Signal
	Reconfigure func() (*config.Config, error)
	// ShutdownWait is the grace period for calls in flight at shutdown (0: 15 s).
	ShutdownWait time.Duration
	// Simulator, with Config.Simulator, is served instead of starting the
	// embedded one (the benchmark's large inventory); the caller closes it.
	Simulator *simulator.Simulator
}

// Run serves until ctx is cancelled or, in stdio mode, the client disconnects.
func Run(ctx context.Context, p Params) error {
	cfg, log := p.Config, p.Logger
	if p.Banner == nil {
		p.Banner = io.Discard
	}
	log.Info("starting esxi-mcp-server", "version", p.Version, "config", cfg)

	// Bind the ports before logging in to vCenter: a busy port fails at once,
	// without a login (and, with the simulator, without building it).
	var ln net.Listener
	if cfg.Transport == config.TransportHTTP {
		var err error
		if ln, err = httpserver.Listen(cfg.Listen); err != nil {
			return err
		}
		defer ln.Close() // a failure before Serve; Serve closes it otherwise
	}
	m := metrics.New()
	stopMetrics, err := serveMetrics(ctx, cfg.MetricsListen, m, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	// An audit file that cannot be written stops the server before anything else.
	var auditLog *audit.Log
	if cfg.AuditLog != "" {
		var err error
		if auditLog, err = audit.Open(cfg.AuditLog, log); err != nil {
			return err
		}
		defer auditLog.Close()
		if err := m.RegisterCounterFunc("audit_write_failures_total", "Audit lines that could not be written (the call went on).",
			func() float64 { return float64(auditLog.Failures()) }); err != nil {
			return fmt.Errorf("registering the audit metric: %w", err)
		}
	}

	connect := vsphere.ConnectOptions{
		User: cfg.VCenterUser, Password: cfg.VCenterPassword,
		Insecure: cfg.Insecure, CAFile: cfg.CAFile, Logger: log,
		Observe: m.VCenterRequest, OnRelogin: m.Relogin,
		MaxConcurrency: cfg.VCenterMaxConcurrency,
	}
	var sim *simulator.Simulator
	if cfg.Simulator && p.Simulator != nil {
		sim = p.Simulator
	} else if cfg.Simulator {
		var err error
		sim, err = simulator.Start(ctx, simulator.Options{})
		if err != nil {
			return fmt.Errorf("starting the embedded simulator: %w", err)
		}
		defer sim.Close()
	}
	if sim != nil {
		log.Info("embedded vCenter simulator running", "url", sim.URL.String())
		connect.URL, connect.User, connect.Password = sim.URL, sim.User, sim.Password
		connect.CAFile, connect.Insecure = sim.CAFile, false
	} else {
		u, err := cfg.VCenterURL()
		if err != nil {
			return err
		}
		connect.URL = u
	}

	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	vs, err := vsphere.Connect(cctx, connect)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		// Clean-ups of cancelled tasks finish (bounded) before the logout;
		// no re-login from here on.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeWait)
		defer cancel()
		if err := vs.Close(lctx); err != nil {
			log.Warn("logout failed", "error", err)
		}
	}()
	vs.SetTaskWait(time.Duration(cfg.TaskWaitSeconds) * time.Second)

	pl, err := vs.ResolvePlacement(ctx, vsphere.PlacementNames{
		Datacenter: cfg.Datacenter, Cluster: cfg.Cluster, Datastore: cfg.Datastore,
		Network: cfg.Network, NetworkDefaulted: cfg.NetworkDefaulted,
	})
	if err != nil {
		return fmt.Errorf("resolving placement defaults: %w", err)
	}
	vs.Defaults = pl
	log.Info("placement defaults", "datacenter", pl.Datacenter.Name, "compute", pl.Compute.Name,
		"datastore", pl.Datastore.Name, "network", pl.Network.Name)

	mcpOpts := mcpserver.Options{
		Version: p.Version, ReadOnly: cfg.ReadOnly, DisableDestructive: cfg.DisableDestructive, Logger: log,
		ConfirmDestructive: cfg.ConfirmDestructive, Audit: auditLog, VCenter: connect.URL.Hostname(),
	}
	if cfg.Transport == config.TransportHTTP {
		mcpOpts.Caller = "anonymous"
	}
	server, err := mcpserver.New(vs, mcpOpts)
	if err != nil {
		return err
	}
	// Outermost: a call waiting for a slot is not yet logged as running.
	// Answers over HTTP are encoded and written a few at a time, in turn:
	// that is what a core can work on without a long answer starving others.
	pacer := toolcalls.NewPacer(2 * runtime.GOMAXPROCS(0))
	callLimits := toolcalls.Middleware(toolcalls.Options{
		MaxConcurrent: cfg.MaxConcurrentCalls, Metrics: m, Pacer: pacer,
	})
	server.AddReceivingMiddleware(callLimits)
	reload := &reloader{log: log, audit: auditLog, load: p.Reconfigure}

	if cfg.Transport == config.TransportStdio {
		if sim != nil {
			fmt.Fprintf(p.Banner, "esxi-mcp-server %s: embedded simulator (%s), serving MCP on stdio.\n", p.Version, sim.Describe())
		}
		t := p.Stdio
		if t == nil {
			t = &mcp.StdioTransport{}
		}
		reload.start(ctx, p.Reload)
		log.Info("serving MCP over stdio")
		if err := server.Run(ctx, t); err != nil && ctx.Err() == nil {
			return fmt.Errorf("stdio transport: %w", err)
		}
		return nil
	}

	keySet, err := cfg.KeySet()
	if err != nil {
		return err
	}
	reload.keys = httpserver.NewKeys(keySet)
	reload.start(ctx, p.Reload)
	byRole, err := roleServers(vs, mcpOpts, server)
	if err != nil {
		return err
	}
	for _, s := range byRole {
		if s != server { // the admin server has its middleware already
			s.AddReceivingMiddleware(callLimits)
		}
	}
	h := httpserver.NewHandler(server, httpserver.Options{
		Keys: reload.keys, RoleServers: byRole, Ready: vs.Ready, Logger: log,
		SessionTimeout: cfg.SessionIdleTimeout, MaxSessions: cfg.MaxSessions, Stateless: cfg.Stateless,
		OnResponse: m.HTTPResponse, Pacer: pacer,
		Timeouts: httpserver.Timeouts{
			ReadHeader: cfg.HTTPHeaderTimeout, Body: cfg.HTTPBodyTimeout,
			Write: cfg.HTTPWriteTimeout, Idle: cfg.HTTPIdleTimeout,
		},
	})
	if err := m.RegisterGaugeFunc("sessions", "Live MCP sessions over HTTP.", func() float64 { return float64(h.Sessions()) }); err != nil {
		return fmt.Errorf("registering the sessions metric: %w", err)
	}
	for _, g := range []struct {
		name, help string
		value      func() float64
	}{
		{"answers_sending", "Tool answers being encoded and written now (answer pacing).", func() float64 { return float64(pacer.InUse()) }},
		{"answers_waiting", "Tool answers waiting for their turn to be encoded and written.", func() float64 { return float64(pacer.Waiting()) }},
	} {
		if err := m.RegisterGaugeFunc(g.name, g.help, g.value); err != nil {
			return fmt.Errorf("registering the %s metric: %w", g.name, err)
		}
	}
	if err := m.RegisterCounterFunc("answers_paced_total", "Tool answers that waited for their turn to be encoded and written (over HTTP, batches aside).",
		func() float64 { return float64(pacer.Paced()) }); err != nil {
		return fmt.Errorf("registering the answers_paced_total metric: %w", err)
	}
	return httpserver.Serve(ctx, h, httpserver.ServeOptions{
		Listener: ln, Listen: cfg.Listen, CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile, Logger: log,
		OnGraceEnd:   vs.StopWaiting, // calls still waiting for vCenter answer with their task id
		ShutdownWait: p.ShutdownWait,
		OnListen: func(addr net.Addr) {
			scheme := "http"
			if cfg.TLSCertFile != "" {
				scheme = "https"
			}
			url := fmt.Sprintf("%s://%s%s", scheme, addr, httpserver.Endpoint)
			log.Info("serving MCP over Streamable HTTP", "url", url, "auth", keySet.Len() > 0, "stateless", cfg.Stateless)
			if sim != nil {
				printBanner(p.Banner, p.Version, sim.Describe(), url, keySet.Len() > 0)
			}
			if p.OnListen != nil {
				p.OnListen(addr)
			}
		},
	})
}

// roleServers builds one MCP server per role: each shows and accepts only
// its role's tools. admin is the server already built.
func roleServers(vs *vsphere.Client, opts mcpserver.Options, admin *mcp.Server) (map[apikeys.Role]*mcp.Server, error) {
	byRole := map[apikeys.Role]*mcp.Server{apikeys.RoleAdmin: admin}
	for _, role := range []apikeys.Role{apikeys.RoleRead, apikeys.RoleOperate} {
		opts.Role = role
		s, err := mcpserver.New(vs, opts)
		if err != nil {
			return nil, err
		}
		byRole[role] = s
	}
	return byRole, nil
}

func printBanner(w io.Writer, version, inventory, url string, auth bool) {
	headers, tryHeader := "", ""
	if auth {
		headers = `, "headers": {"Authorization": "Bearer <your api_key>"}`
		tryHeader = ` --header "Authorization: Bearer <your api_key>"`
	}
	fmt.Fprintf(w, `
esxi-mcp-server %s — running on the embedded vSphere simulator
  inventory: %s
  MCP endpoint (Streamable HTTP): %s
  client config: {"mcpServers": {"esxi": {"type": "http", "url": "%s"%s}}}
  try it: npx @modelcontextprotocol/inspector --cli %s --transport http%s --method tools/call --tool-name list_vms
Press Ctrl-C to stop; the simulator's temporary files are removed on exit.

`, version, inventory, url, url, headers, url, tryHeader)
}
