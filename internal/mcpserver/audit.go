package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
)

// auditor records every call of a tool that changes or tries to change
// something, every call refused by role or mode, and (through the consent
// gate) every consent asked: to the audit file when there is one, and as one
// INFO line in the regular log.
type auditor struct {
	file    *audit.Log // nil: no audit file
	log     *slog.Logger
	vcenter string
	caller  string // key name recorded when a request carries none
	// known holds the annotations of every tool the server has, exposed or
	// not; hidden says why a known tool is not exposed to this server's sessions.
	known  map[string]*mcp.ToolAnnotations
	hidden map[string]string
}

func newAuditor(opts Options, log *slog.Logger) *auditor {
	caller := opts.Caller
	if caller == "" {
		caller = "stdio"
	}
	return &auditor{file: opts.Audit, log: log, vcenter: opts.VCenter, caller: caller,
		known: map[string]*mcp.ToolAnnotations{}, hidden: map[string]string{}}
}

// callRecord is what the consent gate learns about a call, for its audit line.
type callRecord struct {
	a       *auditor
	req     *mcp.CallToolRequest
	outcome string // set when the gate refused the call
	target  *audit.Target
}

type recordKey struct{}

// recordOf returns the call's record; a call outside the auditor gets a
// record that goes nowhere.
func recordOf(ctx context.Context) *callRecord {
	if r, ok := ctx.Value(recordKey{}).(*callRecord); ok {
		return r
	}
	return &callRecord{}
}

func (r *callRecord) refuse(outcome string) { r.outcome = outcome }

// consentAsked writes the consent event: who is asked what about which target.
func (r *callRecord) consentAsked(ctx context.Context, question string) {
	if r.a == nil {
		return
	}
	e := r.a.event(ctx, r.req)
	e.Event, e.Outcome, e.Question, e.Target = audit.EventConsent, audit.OutcomeAsked, question, r.target
	r.a.write(e)
}

// middleware audits tools/call. A call to a tool the server knows but does
// not expose to this session (role or mode) is refused exactly as an unknown
// tool is, and audited as denied. Read-only tools that are exposed pass unrecorded.
func (a *auditor) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		creq, ok := req.(*mcp.CallToolRequest)
		if !ok || method != "tools/call" {
			return next(ctx, method, req)
		}
		ann, known := a.known[creq.Params.Name]
		if !known {
			return next(ctx, method, req)
		}
		if why := a.hidden[creq.Params.Name]; why != "" {
			e := a.event(ctx, creq)
			e.Outcome, e.Error = audit.OutcomeDenied, fmt.Sprintf("tool %s is %s", creq.Params.Name, why)
			a.write(e)
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", creq.Params.Name)}
		}
		if ann.ReadOnlyHint {
			return next(ctx, method, req)
		}
		start := time.Now()
		rec := &callRecord{a: a, req: creq}
		res, err := next(context.WithValue(ctx, recordKey{}, rec), method, req)
		r, _ := res.(*mcp.CallToolResult)
		if r != nil && r.InputRequests != nil {
			return res, err // a question for the client; the retry is the call
		}
		e := a.event(ctx, creq)
		e.Time = start
		e.DurationMS = time.Since(start).Milliseconds()
		if rec.target != nil {
			e.Target = rec.target
		}
		outcomeOf(&e, rec, r, err)
		a.write(e)
		return res, err
	}
}

// outcomeOf fills the outcome, error, target and task from the result:
// structuredContent fields vm {id, name, path}, task_id or task, and state
// ("running" when the answer came before the task ended).
func outcomeOf(e *audit.Event, rec *callRecord, r *mcp.CallToolResult, err error) {
	switch {
	case err != nil:
		e.Outcome, e.Error = audit.OutcomeError, err.Error()
	case r == nil:
		e.Outcome = audit.OutcomeError
	case r.IsError:
		e.Outcome, e.Error = audit.OutcomeError, toolErrorText(r)
	default:
		e.Outcome = audit.OutcomeOK
	}
	if rec.outcome != "" {
		e.Outcome = rec.outcome
	}
	if r == nil || r.StructuredContent == nil {
		return
	}
	var out struct {
		VM     *audit.Target `json:"vm"`
		TaskID string        `json:"task_id"`
		Task   any           `json:"task"`
		State  string        `json:"state"`
	}
	b, _ := json.Marshal(r.StructuredContent)
	if json.Unmarshal(b, &out) != nil {
		return
	}
	if out.VM != nil && (e.Target == nil || e.Target.ID == "") {
		e.Target = out.VM
	}
	e.TaskID = out.TaskID
	if task, ok := out.Task.(string); ok && e.TaskID == "" {
		e.TaskID = task
	}
	if out.State == "running" && e.Outcome == audit.OutcomeOK {
		e.Outcome = audit.OutcomeStarted
	}
}

// event fills what every line says: who, from which client and session, what.
func (a *auditor) event(ctx context.Context, req *mcp.CallToolRequest) audit.Event {
	e := audit.Event{Time: time.Now(), Event: audit.EventCall, Key: a.caller, VCenter: a.vcenter, Tool: req.Params.Name}
	if extra := req.GetExtra(); extra != nil {
		if name := apikeys.NameFromHeader(extra.Header); name != "" {
			e.Key = name
		}
	}
	if req.Session != nil {
		e.Session = req.Session.ID()
	}
	if c := req.ClientInfo(); c != nil {
		e.Client = &audit.Client{Name: c.Name, Version: c.Version}
	}
	var args map[string]any
	if json.Unmarshal(req.Params.Arguments, &args) == nil {
		e.Arguments = audit.Redact(args)
	}
	if e.Target == nil {
		if name, ok := args["name"].(string); ok {
			e.Target = &audit.Target{Name: name}
		}
	}
	return e
}

func (a *auditor) write(e audit.Event) {
	if a.file != nil {
		a.file.Write(e)
	}
	target := ""
	if e.Target != nil {
		target = fmt.Sprintf("%s %s %s", e.Target.ID, e.Target.Name, e.Target.Path)
	}
	attrs := []any{"event", e.Event, "tool", e.Tool, "key", e.Key, "target", target, "outcome", e.Outcome,
		"duration", time.Duration(e.DurationMS) * time.Millisecond}
	if e.TaskID != "" {
		attrs = append(attrs, "task", e.TaskID)
	}
	if e.Error != "" {
		attrs = append(attrs, "error", e.Error)
	}
	a.log.Info("audit", attrs...)
}
