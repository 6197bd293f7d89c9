// Package toolcalls guards MCP tool calls server-wide: a cap on the calls
// running at once, a cap on the size of an answer, and their metrics. It is
// an MCP middleware, so it applies to every transport.
package toolcalls

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/metrics"
)

// Defaults of Options.
const (
	DefaultQueueWait      = 30 * time.Second
	DefaultMaxAnswerBytes = 1 << 20
)

// previewBytes is how much of a truncated answer's text is kept.
const previewBytes = 8 << 10

// TruncatedMeta is the _meta key set to true on a truncated answer.
const TruncatedMeta = "truncated"

// Options configure the guard. Zero values mean: no concurrency cap,
// DefaultQueueWait, DefaultMaxAnswerBytes, no metrics.
type Options struct {
	// MaxConcurrent caps the tool calls running at once; more wait.
	MaxConcurrent int
	// QueueWait bounds that wait; past it the call fails with a tool error.
	QueueWait time.Duration
	// MaxAnswerBytes caps an answer's JSON size; a longer one is replaced by
	// its beginning and a "truncated" marker.
	MaxAnswerBytes int
	Metrics        *metrics.Metrics
	// Pacer, when set, paces the encoding and writing of answers over HTTP
	// (see Pacer).
	Pacer *Pacer
}

// Middleware returns the guard for mcp.Server.AddReceivingMiddleware.
func Middleware(opts Options) mcp.Middleware {
	if opts.QueueWait <= 0 {
		opts.QueueWait = DefaultQueueWait
	}
	if opts.MaxAnswerBytes <= 0 {
		opts.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	var slots chan struct{}
	if opts.MaxConcurrent > 0 {
		slots = make(chan struct{}, opts.MaxConcurrent)
	}
	// Only names of tools that answered become labels: a client cannot make
	// up label values, even on the busy path (before the tool is known).
	var known sync.Map
	label := func(name string) string {
		if _, ok := known.Load(name); ok {
			return name
		}
		return "unknown"
	}
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			p, ok := req.GetParams().(*mcp.CallToolParamsRaw)
			if method != "tools/call" || !ok {
				return next(ctx, method, req)
			}
			done := opts.Metrics.ToolCallStarted()
			if slots != nil {
				if res := acquire(ctx, slots, opts); res != nil {
					done(label(p.Name), metrics.OutcomeBusy)
					return res, nil
				}
				s := &slot{slots: slots, held: true}
				ctx = context.WithValue(ctx, slotKey{}, s)
				defer s.release()
			}
			res, err := next(ctx, method, req)
			if extra := req.GetExtra(); extra != nil {
				opts.Pacer.wait(ctx, extra.Header)
			}
			ctr, _ := res.(*mcp.CallToolResult)
			switch {
			case err != nil || ctr == nil:
				// Also an unknown tool: its name must not become a label.
				done("unknown", metrics.OutcomeError)
				return res, err
			case ctr.IsError:
				known.Store(p.Name, true)
				done(p.Name, metrics.OutcomeToolError)
			default:
				known.Store(p.Name, true)
				done(p.Name, metrics.OutcomeOK)
			}
			return capAnswer(ctr, opts.MaxAnswerBytes), nil
		}
	}
}

// slot is the place a running call holds among max_concurrent_calls.
type slot struct {
	slots chan struct{}
	mu    sync.Mutex
	held  bool
}

type slotKey struct{}

func (s *slot) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		<-s.slots
		s.held = false
	}
}

// Yield gives up the calling tool call's place among max_concurrent_calls
// while it waits for a person (a consent question can stay unanswered for
// minutes, and must not make every other call wait); resume takes a place
// again, waiting for one as long as ctx allows. Outside the guard both do
// nothing.
func Yield(ctx context.Context) (resume func()) {
	s, ok := ctx.Value(slotKey{}).(*slot)
	if !ok {
		return func() {}
	}
	s.release()
	return func() {
		select {
		case s.slots <- struct{}{}:
			s.mu.Lock()
			s.held = true
			s.mu.Unlock()
		case <-ctx.Done():
		}
	}
}

// acquire takes a slot, or answers why not (nil: a slot is taken).
func acquire(ctx context.Context, slots chan struct{}, opts Options) *mcp.CallToolResult {
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(opts.QueueWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return nil
	case <-t.C:
		return errorResult(fmt.Sprintf("the server is busy: %d tool calls are already running (max_concurrent_calls) and none finished within %s; try again in a minute",
			opts.MaxConcurrent, opts.QueueWait))
	case <-ctx.Done():
		return errorResult("the call was cancelled while waiting for the server to be less busy (max_concurrent_calls)")
	}
}

// capAnswer replaces an answer larger than max bytes of JSON with the
// beginning of its text and a marker saying how to ask for less. The result
// is marked as an error so that no client validates the (absent) structured
// content against the tool's output schema.
func capAnswer(res *mcp.CallToolResult, max int) *mcp.CallToolResult {
	if bound, ok := sizeBound(res); ok && bound <= max {
		return res // the common case, without encoding the answer once more
	}
	b, err := json.Marshal(res)
	if err != nil || len(b) <= max {
		return res
	}
	text := ""
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = tc.Text
			break
		}
	}
	if len(text) > previewBytes {
		text = text[:previewBytes]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	out := errorResult(fmt.Sprintf("[truncated: the answer was %d bytes, over the server's cap of %d bytes; ask for less: use limit and cursor, or a narrower filter. Its beginning follows.]\n%s", len(b), max, text))
	out.Meta = mcp.Meta{TruncatedMeta: true}
	return out
}

// envelopeBytes bounds what an answer's JSON holds besides its structured
// content, texts and _meta: field names and isError.
const envelopeBytes = 512

// sizeBound returns an upper bound of res's JSON size without encoding it,
// for the answers tools give: structured content already encoded, text
// contents, a _meta. ok is false for anything else (images, resources, a
// structured content of another type, a question for the client), whose
// size only encoding tells.
func sizeBound(res *mcp.CallToolResult) (bound int, ok bool) {
	if res.InputRequests != nil || res.RequestState != "" {
		return 0, false // a question for the client (consent): encoded in full
	}
	bound = envelopeBytes
	if len(res.Meta) > 0 {
		b, err := json.Marshal(res.Meta)
		if err != nil {
			return 0, false
		}
		bound += len(b)
	}
	switch sc := res.StructuredContent.(type) {
	case nil:
	case json.RawMessage:
		bound += len(sc)
	default:
		return 0, false
	}
	for _, c := range res.Content {
		tc, isText := c.(*mcp.TextContent)
		if !isText || tc.Meta != nil || tc.Annotations != nil {
			return 0, false
		}
		bound += 64 + escapedBound(tc.Text)
	}
	return bound, true
}

// escapedBound bounds the length of s as a JSON string by encoding/json:
// quotes and backslashes take 2 bytes, control characters and <, >, & up to
// 6 (\u003c), and any byte of a multi-byte or invalid sequence is counted 6
// (an invalid byte becomes \ufffd; U+2028 and U+2029 become \u2028).
func escapedBound(s string) int {
	n := 2
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '"' || b == '\\':
			n += 2
		case b < 0x20 || b == '<' || b == '>' || b == '&' || b >= 0x80:
			n += 6
		default:
			n++
		}
	}
	return n
}

func errorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
