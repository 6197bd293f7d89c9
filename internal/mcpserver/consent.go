package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/toolcalls"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// Values of Options.ConfirmDestructive (config key confirm_destructive).
const (
	ConfirmAuto   = "auto"   // ask when the client can; proceed when it cannot
	ConfirmAlways = "always" // ask; refuse when the client cannot be asked
	ConfirmNever  = "never"  // never ask
)

// DefaultConsentTimeout bounds how long a person has to answer.
const DefaultConsentTimeout = 5 * time.Minute

// consentInput is the elicitation's id in a multi round-trip result.
const consentInput = "confirm"

// firstRoundTripProtocol is the first protocol version in which a server may
// not send elicitation requests of its own during a call: it returns them as
// input requests, and the client retries the call with the answers.
const firstRoundTripProtocol = "2026-07-28"

// callGate runs before a tool's handler. It returns an error to refuse the
// call, a result carrying input requests to ask the client first, or neither
// to let the handler run. When a person approved the call, approved is the id
// of the VM they were shown.
type callGate func(ctx context.Context, req *mcp.CallToolRequest, t *mcp.Tool) (res *mcp.CallToolResult, approved string, err error)

// gated puts gate in front of a typed handler; a nil gate changes nothing.
func gated[In, Out any](gate callGate, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) mcp.ToolHandlerFor[In, Out] {
	if gate == nil {
		return h
	}
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		var zero Out
		res, approved, err := gate(ctx, req, t)
		if err != nil || res != nil {
			return res, zero, err
		}
		if approved != "" {
			// The approval is for the VM the person was shown: act on it by
			// its id, so that a rename, move or look-alike made while they
			// decided cannot redirect the call to another VM.
			if in, err = withVMID(in, approved); err != nil {
				return nil, zero, err
			}
		}
		return h(ctx, req, in)
	}
}

// withVMID returns in with its VM reference (the "name" argument) replaced by
// a managed object id.
func withVMID[In any](in In, id string) (In, error) {
	var out In
	b, err := json.Marshal(in)
	if err != nil {
		return out, fmt.Errorf("binding the approval to VM %s: %w", id, err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return out, fmt.Errorf("binding the approval to VM %s: %w", id, err)
	}
	m["name"] = id
	if b, err = json.Marshal(m); err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return out, fmt.Errorf("binding the approval to VM %s: %w", id, err)
	}
	return out, nil
}

// consent asks a person, through MCP elicitation, to approve each call of a
// destructive tool before anything changes. An approval belongs to one call:
// with a client that answers inline (protocol before 2026-07-28) it is asked
// and used within the call; with a client that retries the call with the
// answer, it is bound to a single-use token, the session, the tool and the
// exact arguments.
type consent struct {
	mode    string
	timeout time.Duration
	vs      *vsphere.Client
	now     func() time.Time

	mu      sync.Mutex
	pending map[string]approvalRequest // by request-state token
}

// approvalRequest is a question asked and not yet answered.
type approvalRequest struct {
	session, tool, args string
	facts               *vsphere.ConsentFacts
	expires             time.Time
}

func newConsent(vs *vsphere.Client, mode string, timeout time.Duration) *consent {
	if mode == "" {
		mode = ConfirmAuto
	}
	if timeout <= 0 {
		timeout = DefaultConsentTimeout
	}
	return &consent{mode: mode, timeout: timeout, vs: vs, now: time.Now, pending: map[string]approvalRequest{}}
}

func (c *consent) gate(ctx context.Context, req *mcp.CallToolRequest, t *mcp.Tool) (*mcp.CallToolResult, string, error) {
	if c.mode == ConfirmNever {
		return nil, "", nil
	}
	rec := recordOf(ctx)
	if caps := req.ClientCapabilities(); caps == nil || caps.Elicitation == nil {
		if c.mode == ConfirmAuto {
			return nil, "", nil
		}
		rec.refuse(audit.OutcomeDenied)
		return nil, "", fmt.Errorf("%s needs a person's approval (confirm_destructive is %q), but this MCP client did not declare the elicitation capability, so the server cannot ask; nothing was changed. "+
			"Use an MCP client that supports elicitation, or ask the server's administrator to set confirm_destructive to %q", t.Name, ConfirmAlways, ConfirmAuto)
	}
	args := canonicalArguments(req.Params.Arguments)
	if req.Params.RequestState != "" || req.Params.InputResponses != nil {
		return c.answered(req, t, args, rec)
	}

	name := stringArgument(req.Params.Arguments, "name")
	facts, err := c.vs.DescribeForConsent(ctx, name)
	if err != nil {
		return nil, "", err
	}
	rec.target = &audit.Target{ID: facts.VM.ID, Name: facts.VM.Name, Path: facts.VM.Path}
	question := consentQuestion(t, req.Params.Arguments, facts)
	rec.consentAsked(ctx, question)
	params := &mcp.ElicitParams{Message: question, RequestedSchema: consentSchema()}

	if answersInline(req) {
		ectx, cancel := context.WithTimeout(ctx, c.timeout)
		resume := toolcalls.Yield(ctx) // a person may take minutes: free the call's place meanwhile
		res, err := req.Session.Elicit(ectx, params)
		resume()
		cancel()
		if err != nil {
			rec.refuse(audit.OutcomeDeclined)
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return nil, "", fmt.Errorf("the user declined (no answer within %s): %s was not changed", c.timeout, facts.Subject())
			}
			return nil, "", fmt.Errorf("the user declined (the question got no valid answer: %v): %s was not changed", err, facts.Subject())
		}
		if err := decide(res, facts, rec); err != nil {
			return nil, "", err
		}
		return nil, facts.VM.ID, nil
	}

	token, err := c.remember(approvalRequest{session: callerIdentity(req), tool: t.Name, args: args, facts: facts})
	if err != nil {
		return nil, "", err
	}
	return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{consentInput: params}, RequestState: token}, "", nil
}

// answered handles the retry of a call that carried a question: the token
// must be one this server issued for this session, tool and arguments, and
// unused and unexpired; it is spent whatever the answer.
func (c *consent) answered(req *mcp.CallToolRequest, t *mcp.Tool, args string, rec *callRecord) (*mcp.CallToolResult, string, error) {
	a, ok := c.take(req.Params.RequestState)
	if !ok || a.session != callerIdentity(req) || a.tool != t.Name || a.args != args {
		rec.refuse(audit.OutcomeDenied)
		return nil, "", fmt.Errorf("this approval does not belong to this call (it was already used, has expired, or was given for other arguments); nothing was changed. Call %s again to ask the user", t.Name)
	}
	rec.target = &audit.Target{ID: a.facts.VM.ID, Name: a.facts.VM.Name, Path: a.facts.VM.Path}
	res, _ := req.Params.InputResponses[consentInput].(*mcp.ElicitResult)
	if err := decide(res, a.facts, rec); err != nil {
		return nil, "", err
	}
	return nil, a.facts.VM.ID, nil
}

// decide turns the person's answer into go (nil) or a refusal.
func decide(res *mcp.ElicitResult, facts *vsphere.ConsentFacts, rec *callRecord) error {
	if res != nil && res.Action == "accept" && res.Content[consentInput] == true {
		return nil
	}
	rec.refuse(audit.OutcomeDeclined)
	why := "the user declined"
	switch {
	case res == nil:
		why = "the user declined (no answer)"
	case res.Action == "cancel":
		why = "the user declined (cancelled the question)"
	case res.Action == "accept":
		why = "the user declined (did not tick confirm)"
	}
	return fmt.Errorf("%s: %s was not changed. Do not retry unless the user asks for it", why, facts.Subject())
}

func (c *consent) remember(a approvalRequest) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("preparing the approval question: %w", err)
	}
	token := hex.EncodeToString(b)
	now := c.now()
	a.expires = now.Add(c.timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.pending {
		if now.After(p.expires) {
			delete(c.pending, k)
		}
	}
	c.pending[token] = a
	return token, nil
}

func (c *consent) take(token string) (approvalRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.pending[token]
	delete(c.pending, token)
	if !ok || c.now().After(a.expires) {
		return approvalRequest{}, false
	}
	return a, true
}

// answersInline reports whether the client expects elicitation requests
// during a call (protocol versions before 2026-07-28).
func answersInline(req *mcp.CallToolRequest) bool {
	v := req.ProtocolVersion()
	return v != "" && v < firstRoundTripProtocol && req.Session.InitializeParams() != nil
}

func consentSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			consentInput: map[string]any{
				"type":        "boolean",
				"title":       "Confirm",
				"description": "Tick to approve exactly this change; anything else refuses it.",
			},
		},
		"required": []string{consentInput},
	}
}

// canonicalArguments re-encodes arguments with sorted keys, so that the same
// arguments compare equal however a client spaced or ordered them.
func canonicalArguments(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func stringArgument(raw json.RawMessage, name string) string {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	s, _ := m[name].(string)
	return s
}

// callerIdentity is who an approval is bound to: the MCP session (HTTP with
// sessions); else the API key (stateless HTTP, where every request is a new
// session); else the session object itself (stdio, in-memory).
func callerIdentity(req *mcp.CallToolRequest) string {
	if id := req.Session.ID(); id != "" {
		return "session " + id
	}
	if extra := req.GetExtra(); extra != nil && extra.Header != nil {
		return "key " + apikeys.NameFromHeader(extra.Header)
	}
	return fmt.Sprintf("connection %p", req.Session)
}
