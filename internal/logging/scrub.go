package logging

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/redact"
)

// Scrub wraps h so that no log line carries vCenter session material: the
// message and every attribute value (errors and other values by their text,
// inside groups too) pass through redact.String before h sees them.
func Scrub(h slog.Handler) slog.Handler { return &scrubHandler{h} }

type scrubHandler struct{ next slog.Handler }

func (s *scrubHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return s.next.Enabled(ctx, l)
}

func (s *scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redact.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return s.next.Handle(ctx, out)
}

func (s *scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = scrubAttr(a)
	}
	return &scrubHandler{s.next.WithAttrs(clean)}
}

func (s *scrubHandler) WithGroup(name string) slog.Handler {
	return &scrubHandler{s.next.WithGroup(name)}
}

// scrubAttr returns a with its value's text scrubbed. Values whose text holds
// nothing to remove keep their kind (numbers stay numbers).
func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redact.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = scrubAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		text := anyText(v.Any())
		if clean := redact.String(text); clean != text {
			return slog.String(a.Key, clean)
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// anyText is how a text handler would print v.
func anyText(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
