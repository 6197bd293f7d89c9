package app

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/httpserver"
)

// reloader applies SIGHUP: it reopens the audit file (after log rotation) and
// reloads the API keys from the configuration. Nothing else is reloaded: the
// other keys need a restart.
type reloader struct {
	log   *slog.Logger
	audit *audit.Log       // nil: no audit file
	keys  *httpserver.Keys // nil: stdio
	load  func() (*config.Config, error)
}

// start applies each signal until ctx ends (nil signals: never).
func (r *reloader) start(ctx context.Context, signals <-chan os.Signal) {
	if signals != nil {
		go r.run(ctx, signals)
	}
}

func (r *reloader) run(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			r.reload()
		}
	}
}

func (r *reloader) reload() {
	if r.audit != nil {
		if err := r.audit.Reopen(); err == nil {
			r.log.Info("reopened the audit log", "audit_log", r.audit.Path())
		}
	}
	if r.keys == nil || r.load == nil {
		return
	}
	cfg, err := r.load()
	if err == nil {
		set, err := cfg.KeySet()
		if err == nil {
			r.keys.Replace(set)
			r.log.Info("reloaded the API keys", "keys", strings.Join(set.Names(), ","))
			return
		}
	}
	r.log.Error("reloading the API keys failed; the keys in force stay", "error", err)
}
