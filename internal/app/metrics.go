package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/metrics"
)

// serveMetrics serves m at /metrics on addr until the returned stop is
// called (addr "": metrics are recorded but not served).
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := m.Serve(ctx, ln, log); err != nil {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	log.Info("serving Prometheus metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { cancel(); <-served }, nil
}
