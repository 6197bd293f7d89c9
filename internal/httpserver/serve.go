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
	// OnGraceEnd, when set, is called when the shutdown grace period ends with
	// calls still running: it must make them answer at once (the server's
	// vSphere client answers with the task still running). Their answers are
	// written, within answerWait, before the connections close.
	OnGraceEnd func()
}

// answerWait bounds, after the grace period, the wait for the answers of the
// calls OnGraceEnd told to answer.
const answerWait = 10 * time.Second

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
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		h.drain(sctx, opts.OnGraceEnd, log)
	}()
	if err := srv.Shutdown(sctx); err != nil {
		// Calls still running have been told to answer: let their answers
		// out before closing the connections.
		select {
		case <-drained:
		case <-time.After(answerWait):
		}
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

// drain waits until in-flight POSTs finish (including any that arrive while
// it waits) or ctx ends. If calls are still running then, onGraceEnd makes
// them answer, and drain waits (bounded) for those answers. Then it closes
// every MCP session so that long-lived GET streams end too.
func (h *Handler) drain(ctx context.Context, onGraceEnd func(), log *slog.Logger) {
	if err := h.inflight.wait(ctx); err != nil && onGraceEnd != nil {
		log.Warn("shutdown grace period over with calls still running; they answer now with their vSphere tasks still running")
		onGraceEnd()
		actx, cancel := context.WithTimeout(context.Background(), answerWait)
		_ = h.inflight.wait(actx)
		cancel()
	}
	for _, s := range h.servers {
		for ss := range s.Sessions() {
			_ = ss.Close()
		}
	}
}
