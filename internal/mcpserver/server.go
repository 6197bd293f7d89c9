// Package mcpserver exposes the vSphere operations as MCP tools and resources.
// Handlers are thin typed adapters over internal/vsphere.
package mcpserver

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// Name is the MCP server name.
const Name = "esxi-mcp-server"

const instructions = `This server manages the virtual machines of one VMware vSphere endpoint (a vCenter Server or a standalone ESXi host).
Use list_vms to find VMs (filter by name, power state, host, cluster or folder; page with limit and cursor).
Every tool that takes a VM accepts its name, inventory path (/DC/vm/folder/name), managed object id (vm-42) or BIOS/instance UUID; a name shared by several VMs is refused with the candidates listed, so retry with a path or id.
For performance, read the resource vmstats://{vm_name} or call get_vm_stats (with window_minutes for min/avg/max over a period). list_hosts, list_datastores and list_networks show capacity and state of the placement targets.
Destructive tools (delete, power off, restart, suspend) act on production machines: confirm the target with the user first.
A tool whose vSphere task outlasts the server's wait limit answers with state "running" and a task_id: the task goes on; follow it with get_task (wait_seconds waits for the end) instead of calling the tool again.`

// Options configure the MCP server.
type Options struct {
	Version            string
	ReadOnly           bool // expose only tools annotated read-only
	DisableDestructive bool // hide tools annotated destructive
	Logger             *slog.Logger

	// Role limits the tools this server's sessions see and may call ("": admin).
	Role apikeys.Role
	// ConfirmDestructive is auto (""), always or never: when to ask a person
	// through elicitation before a destructive tool runs.
	ConfirmDestructive string
	// ConsentTimeout bounds the wait for the person's answer (0: 5 minutes).
	ConsentTimeout time.Duration
	// Audit receives the audit trail (nil: the regular log only).
	Audit *audit.Log
	// VCenter names the vSphere endpoint in audit lines.
	VCenter string
	// Caller is the key name audit lines carry for requests that name none
	// (stdio; HTTP without keys). Default "stdio".
	Caller string
}

// handlers holds the dependencies of every tool and resource handler.
type handlers struct {
	vs  *vsphere.Client
	log *slog.Logger
}

// New builds the MCP server with the tools the options allow.
func New(vs *vsphere.Client, opts Options) (*mcp.Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := mcp.NewServer(&mcp.Implementation{
		Name:    Name,
		Title:   "VMware vSphere (ESXi / vCenter)",
		Version: opts.Version,
	}, &mcp.ServerOptions{
		Instructions: instructions,
		Logger:       log,
	})
	h := &handlers{vs: vs, log: log}
	defs, err := h.tools()
	if err != nil {
		return nil, err
	}
	aud := newAuditor(opts, log)
	consent := newConsent(vs, opts.ConfirmDestructive, opts.ConsentTimeout)
	for _, d := range defs {
		aud.known[d.tool.Name] = d.tool.Annotations
		if why := hiddenBecause(d.tool.Annotations, opts); why != "" {
			aud.hidden[d.tool.Name] = why
			continue
		}
		var gate callGate
		if isDestructive(d.tool.Annotations) {
			gate = consent.gate
		}
		d.register(s, gate)
	}
	if err := h.addResources(s); err != nil {
		return nil, err
	}
	// Outermost first: the log sees the detail; clients see no host, address or
	// URL of vCenter in a tool error (resources follow the same rule, see resourceError).
	// The auditor sits inside the logger and outside the error filter: its
	// lines carry the error words clients see. taskScope gives each call one
	// task wait budget.
	s.AddReceivingMiddleware(logRequests(log), aud.middleware, hideTransportErrors(log), taskScope(vs))
	return s, nil
}

// isDestructive follows the MCP default: a tool that is not read-only is
// destructive unless it says otherwise.
func isDestructive(a *mcp.ToolAnnotations) bool {
	if a.ReadOnlyHint {
		return false
	}
	return a.DestructiveHint == nil || *a.DestructiveHint
}

// logRequests logs every request's method and outcome; tool arguments only at DEBUG.
func logRequests(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			start := time.Now()
			attrs := []any{"method", method}
			if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
				attrs = append(attrs, "tool", p.Name)
				if log.Enabled(ctx, slog.LevelDebug) {
					attrs = append(attrs, "arguments", string(p.Arguments))
				}
			}
			res, err := next(ctx, method, req)
			attrs = append(attrs, "duration", time.Since(start).Round(time.Millisecond))
			switch {
			case err != nil:
				log.Warn("request failed", append(attrs, "error", err)...)
			case isToolError(res):
				log.Info("tool returned an error", append(attrs, "error", toolErrorText(res))...)
			default:
				log.Debug("request handled", attrs...)
			}
			return res, err
		}
	}
}

func isToolError(res mcp.Result) bool {
	r, ok := res.(*mcp.CallToolResult)
	return ok && r.IsError
}

func toolErrorText(res mcp.Result) string {
	r := res.(*mcp.CallToolResult)
	if len(r.Content) > 0 {
		if t, ok := r.Content[0].(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return fmt.Sprint(r.Content)
}
