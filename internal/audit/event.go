// Package audit writes the audit trail: one JSON object per line for every
// tool call that changes or tries to change something, every call refused by
// role, mode or consent, and every consent asked.
package audit

import (
	"strings"
	"time"
)

// Outcomes of an audited call.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeDenied   = "denied"   // refused by role, mode, or a consent that cannot be asked
	OutcomeDeclined = "declined" // the user declined, cancelled or did not answer
	OutcomeStarted  = "started"  // the answer came before the vCenter task ended
	OutcomeAsked    = "asked"    // a consent question was sent (event "consent")
)

// Kinds of events.
const (
	EventCall    = "call"
	EventConsent = "consent"
)

// Event is one line of the audit trail.
type Event struct {
	Time       time.Time      `json:"-"`
	TimeText   string         `json:"time"` // UTC, RFC 3339 with milliseconds
	Event      string         `json:"event"`
	Key        string         `json:"key"` // the API key's name, or "stdio"
	Client     *Client        `json:"client,omitempty"`
	Session    string         `json:"session,omitempty"`
	Tool       string         `json:"tool"`
	Arguments  map[string]any `json:"arguments,omitempty"`
	Target     *Target        `json:"target,omitempty"`
	VCenter    string         `json:"vcenter,omitempty"`
	TaskID     string         `json:"task_id,omitempty"`
	Outcome    string         `json:"outcome"`
	Error      string         `json:"error,omitempty"`
	Question   string         `json:"question,omitempty"` // the consent question, for event "consent"
	DurationMS int64          `json:"duration_ms"`
}

// Client is the MCP client as it named itself in initialize.
type Client struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Target is the object a call acts on.
type Target struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Path string `json:"path,omitempty"`
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Redacted replaces the value of a secret-bearing argument.
const Redacted = "[redacted]"

// secretWords mark an argument name as secret-bearing.
var secretWords = []string{"password", "passwd", "secret", "token", "key", "credential", "auth"}

// Redact copies arguments, replacing the values of secret-bearing names
// (password, secret, token, key, credential, ...) at any depth.
func Redact(args map[string]any) map[string]any {
	if args == nil {
		return nil
	}
	out := make(map[string]any, len(args))
	for k, v := range args {
		if isSecretName(k) {
			out[k] = Redacted
			continue
		}
		out[k] = redactValue(v)
	}
	return out
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Redact(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = redactValue(x)
		}
		return out
	}
	return v
}

func isSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
