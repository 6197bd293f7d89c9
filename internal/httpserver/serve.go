package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ServeOptions say where and how to listen.
type ServeOptions struct {
	Listen string
	// Listener, when set, is used instead of listening on Listen: the caller
	// binds the port first (see Listen), so a busy port fails fast.
	Listener     net.Listener
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
	// No ReadTimeout or WriteTimeout: they bound a whole request and its
	// response, which would end SSE streams and long tool calls. The handler
	// bounds the body read and each write instead (see withDeadlines).
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: h.timeouts.ReadHeader,
		IdleTimeout:       h.timeouts.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			if opts.Listener != nil {
				_ = opts.Listener.Close()
			}
			return fmt.Errorf("loading tls_cert_file %s and tls_key_file %s: %w", opts.CertFile, opts.KeyFile, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = Listen(opts.Listen); err != nil {
			return err
		}
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

// Listen binds addr for Serve. A port in use is said in words, with the way out.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listening on %s: the address is already in use (another process, or another copy of this server, holds the port); choose another with --listen (e.g. --listen 127.0.0.1:8090) or stop the other process", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}
