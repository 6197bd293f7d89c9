package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServeOptions say where and how to listen.
type ServeOptions struct {
	Listen       string
	CertFile     string // with KeyFile: serve HTTPS
	KeyFile      string
	ShutdownWait time.Duration // bound on graceful shutdown (0: 15 s)
	Logger       *slog.Logger
	// OnListen, when set, is told the bound address (useful with port 0).
	OnListen func(addr net.Addr)
}

// Serve listens and serves h until ctx is cancelled, then shuts down
// gracefully: no new connections, in-flight calls finish (bounded), sessions close.
func Serve(ctx context.Context, h *Handler, opts ServeOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return fmt.Errorf("loading tls_cert_file %s and tls_key_file %s: %w", opts.CertFile, opts.KeyFile, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.Listen, err)
	}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	if opts.OnListen != nil {
		opts.OnListen(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP on %s: %w", opts.Listen, err)
	case <-ctx.Done():
	}

	wait := opts.ShutdownWait
	if wait == 0 {
		wait = 15 * time.Second
	}
	log.Info("shutting down HTTP server", "grace", wait)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	go h.Drain(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shutting down HTTP server: %w", err)
		}
		log.Warn("HTTP shutdown grace period over; closed remaining connections")
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
