// Package app wires the configured pieces together and runs the server until
// its context ends: simulator (optional), vSphere session, MCP server, transport.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// simulatorLateCancelWatch is how long, with the embedded simulator, a
// cancelled task is watched for a late success (see vsphere.ConnectOptions).
const simulatorLateCancelWatch = time.Minute

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

	connect := vsphere.ConnectOptions{
		User: cfg.VCenterUser, Password: cfg.VCenterPassword,
		Insecure: cfg.Insecure, CAFile: cfg.CAFile, Logger: log,
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
		// govmomi's simulator marks a cancelled task failed at once but still
		// completes the operation when its delay ends; watching for that lets
		// a cancelled create or clone remove the VM it made anyway. A real
		// vCenter's cancelled task stays cancelled, so there it stays 0.
		connect.LateCancelWatch = simulatorLateCancelWatch
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
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := vs.Close(lctx); err != nil {
			log.Warn("logout failed", "error", err)
		}
	}()

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

	server, err := mcpserver.New(vs, mcpserver.Options{
		Version: p.Version, ReadOnly: cfg.ReadOnly, DisableDestructive: cfg.DisableDestructive, Logger: log,
	})
	if err != nil {
		return err
	}

	if cfg.Transport == config.TransportStdio {
		if sim != nil {
			fmt.Fprintf(p.Banner, "esxi-mcp-server %s: embedded simulator (%s), serving MCP on stdio.\n", p.Version, sim.Describe())
		}
		t := p.Stdio
		if t == nil {
			t = &mcp.StdioTransport{}
		}
		log.Info("serving MCP over stdio")
		if err := server.Run(ctx, t); err != nil && ctx.Err() == nil {
			return fmt.Errorf("stdio transport: %w", err)
		}
		return nil
	}

	h := httpserver.NewHandler(server, httpserver.Options{APIKey: cfg.APIKey, Ready: vs.Ready, Logger: log})
	return httpserver.Serve(ctx, h, httpserver.ServeOptions{
		Listen: cfg.Listen, CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile, Logger: log,
		OnListen: func(addr net.Addr) {
			scheme := "http"
			if cfg.TLSCertFile != "" {
				scheme = "https"
			}
			url := fmt.Sprintf("%s://%s%s", scheme, addr, httpserver.Endpoint)
			log.Info("serving MCP over Streamable HTTP", "url", url, "auth", cfg.APIKey != "")
			if sim != nil {
				printBanner(p.Banner, p.Version, sim.Describe(), url, cfg.APIKey != "")
			}
			if p.OnListen != nil {
				p.OnListen(addr)
			}
		},
	})
}

func printBanner(w io.Writer, version, inventory, url string, auth bool) {
	headers := ""
	if auth {
		headers = `, "headers": {"Authorization": "Bearer <your api_key>"}`
	}
	fmt.Fprintf(w, `
esxi-mcp-server %s — running on the embedded vSphere simulator
  inventory: %s
  MCP endpoint (Streamable HTTP): %s
  client config: {"mcpServers": {"esxi": {"type": "http", "url": "%s"%s}}}
  try it: npx @modelcontextprotocol/inspector --cli %s --transport http --method tools/call --tool-name list_vms
Press Ctrl-C to stop; the simulator's temporary files are removed on exit.

`, version, inventory, url, url, headers, url)
}
