// Package vsphere is everything the server does with vCenter or ESXi, through
// govmomi only: the session, inventory lookups, placement defaults, VM
// operations and statistics. It knows nothing of MCP.
package vsphere

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// ConnectOptions say how to reach and log in to vCenter or ESXi.
type ConnectOptions struct {
	URL      *url.URL // SDK endpoint, e.g. https://vc.example.com/sdk; no credentials
	User     string
	Password string
	Insecure bool   // skip TLS verification
	CAFile   string // extra PEM roots, added to the system's
	// KeepAlive is the idle interval between keepalive requests; 0 means 5 minutes,
	// a negative value disables keepalive (tests use it to let a session expire).
	KeepAlive time.Duration
	Logger    *slog.Logger
	// Observe, when set, is told the method and outcome of every SOAP request (metrics).
	Observe func(method string, err error)
	// OnRelogin, when set, is called after each successful re-login (metrics).
	OnRelogin func()
	// MaxConcurrency bounds the requests in flight to vCenter (vcenter_max_concurrency);
	// 0 means unbounded. Long polls are bounded apart (see vcenter_limit.go).
	MaxConcurrency int
	// Inventory tunes the inventory mirror (tests set small pages and update sets).
	Inventory inventory.Options
}

// Client is the one vCenter session of the server, shared by every MCP session.
// It re-logs in transparently when vCenter expires the session.
type Client struct {
	// listIndex keeps the mirror's VMs in list order (see vm_list_index.go).
	listIndex nameIndex

	vim  *vim25.Client
	sm   *session.Manager
	user *url.Userinfo
	log  *slog.Logger
	host string
	jar  *sessionJar

	onRelogin func()
	// tasks: wait limit, tasks started, clean-ups, shutdown (see task_registry.go).
	tasks *taskState

	loginMu sync.Mutex    // guards flight and the failure fields
	flight  *loginFlight  // the re-login under way, if any
	gen     atomic.Uint64 // incremented by every successful login

	// After a failed re-login, no new attempt is made until the backoff has
	// passed: SSO locks an account after a few failures, and anyone who can
	// reach /readyz, or any client, could otherwise drive the attempts.
	loginFailures  int
	loginFailedAt  time.Time
	loginErr       error
	reloginBackoff time.Duration // first wait after a failure; doubles, at most maxReloginBackoff

	// mirror is the session's inventory, kept current by vCenter (see mirror.go).
	mirror *inventory.Mirror

	// perf caches the performance counter catalogue, read once per Client
	// (see perf_counters.go).
	perf atomic.Pointer[perfCatalogue]

	// Defaults are the placement defaults resolved at start.
	Defaults *Placement
}

// Connect logs in to vCenter or ESXi. Its errors are one line a user can act on.
func Connect(ctx context.Context, opts ConnectOptions) (*Client, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := *opts.URL
	u.User = nil
	sc := soap.NewClient(&u, opts.Insecure)
	jar := newSessionJar()
	sc.Jar = jar // before the first request: nothing uses the client yet
	if opts.Insecure {
		log.Warn("TLS verification of vCenter is disabled (insecure: true); do not use this in production", "host", u.Host)
	} else {
		roots, err := rootCAs(opts.CAFile)
		if err != nil {
			return nil, err
		}
		sc.DefaultTransport().TLSClientConfig.RootCAs = roots
	}

	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, describeConnectError(u.Host, err)
	}

	c := &Client{
		vim:  vc,
		user: url.UserPassword(opts.User, opts.Password),
		log:  log,
		host: u.Host,
		jar:  jar,

		onRelogin:      opts.OnRelogin,
		tasks:          newTaskState(),
		reloginBackoff: time.Minute,
	}
	// Requests coalesced or waiting for a slot are not sent, so the observer
	// (metrics) sits inside the limit and counts only what reaches vCenter.
	var base soap.RoundTripper = sc
	if opts.Observe != nil {
		base = &observeRoundTripper{next: sc, observe: opts.Observe}
	}
	rt := soap.RoundTripper(&reloginRoundTripper{next: newVCenterLimit(base, opts.MaxConcurrency), client: c})
	if opts.KeepAlive >= 0 {
		idle := opts.KeepAlive
		if idle == 0 {
			idle = 5 * time.Minute
		}
		rt = keepalive.NewHandlerSOAP(rt, idle, nil)
	}
	vc.RoundTripper = rt
	c.sm = session.NewManager(vc)

	if err := c.sm.Login(ctx, c.user); err != nil {
		return nil, describeLoginError(u.Host, opts.User, err)
	}
	c.gen.Store(1)
	c.startMirror(opts.Inventory)
	about := vc.ServiceContent.About
	log.Info("connected to vSphere", "host", u.Host, "product", about.FullName, "api_type", about.ApiType, "user", opts.User)
	return c, nil
}

// Vim exposes the underlying govmomi client for this package's tests and
// for the simulator fixture.
func (c *Client) Vim() *vim25.Client { return c.vim }

// IsVCenter reports whether the endpoint is a vCenter (as opposed to a standalone ESXi host).
func (c *Client) IsVCenter() bool { return c.vim.IsVC() }

// Close shuts the session down: calls still waiting for a vSphere task
// answer at once (the task still running), no re-login is attempted any more,
// detached clean-ups (cancelling a task, removing what a cancelled create
// made) finish while ctx allows, the inventory mirror stops, and then it logs
// out. It is safe to call on a nil Client.
func (c *Client) Close(ctx context.Context) error {
	if c == nil || c.sm == nil {
		return nil
	}
	c.beginShutdown()
	if err := c.tasks.awaitCleanups(ctx); err != nil {
		c.log.Warn("clean-ups of cancelled vSphere tasks did not finish before the logout", "error", err)
	}
	c.stopMirror(ctx)
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logoutTimeout)
	defer cancel()
	// A re-login already under way would leave its new session behind if it
	// finished after the logout: let it finish (bounded) and log that one out.
	c.loginMu.Lock()
	f := c.flight
	c.loginMu.Unlock()
	if f != nil {
		select {
		case <-f.done:
		case <-lctx.Done():
		}
	}
	if err := c.sm.Logout(lctx); err != nil {
		return fmt.Errorf("logging out of %s: %w", c.host, err)
	}
	c.log.Info("logged out of vSphere", "host", c.host)
	return nil
}

// backoffError is the last login failure, returned without trying again.
type backoffError struct {
	err  error
	left time.Duration
}

func (e *backoffError) Error() string { return e.err.Error() }
func (e *backoffError) Unwrap() error { return e.err }

// maxReloginBackoff bounds the wait between failed re-login attempts.
const maxReloginBackoff = 15 * time.Minute

// loginTimeout bounds one re-login, which runs detached from the request that
// noticed the expiry: it serves every caller, and one caller's cancel must not
// abort it (or count as a failure).
const loginTimeout = time.Minute

// logoutTimeout bounds the logout at Close.
const logoutTimeout = 10 * time.Second

// loginFlight is one re-login that every caller who noticed the expiry waits for.
type loginFlight struct {
	done chan struct{}
	err  error // set before done is closed
}

// relogin logs in again unless another goroutine already did so since seen.
// There is at most one re-login at a time, shared: each caller waits for it
// with its own context, and a caller that gives up does not stop it. A fresh
// session also means a fresh counter catalogue read. After vCenter refused
// the credentials it does not try again until the backoff has passed,
// returning the last error; other failures (network, timeout) do not count.
// Once shutdown has begun it does not log in at all.
func (c *Client) relogin(ctx context.Context, seen uint64) error {
	c.loginMu.Lock()
	if c.gen.Load() != seen {
		c.loginMu.Unlock()
		return nil
	}
	f := c.flight
	if f == nil {
		if c.shuttingDown() {
			c.loginMu.Unlock()
			return errShuttingDown
		}
		if c.loginFailures > 0 {
			wait := min(c.reloginBackoff<<(c.loginFailures-1), maxReloginBackoff)
			if left := wait - time.Since(c.loginFailedAt); left > 0 {
				c.loginMu.Unlock()
				return &backoffError{err: c.loginErr, left: left}
			}
		}
		f = &loginFlight{done: make(chan struct{})}
		c.flight = f
		go c.fly(context.WithoutCancel(ctx), f)
	}
	c.loginMu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fly performs one re-login, bounded by loginTimeout, and tells its waiters.
func (c *Client) fly(ctx context.Context, f *loginFlight) {
	c.log.Warn("vSphere session expired; logging in again", "host", c.host)
	c.jar.reset() // a fresh session, whatever vCenter thinks of the old cookie
	lctx, cancel := context.WithTimeout(ctx, loginTimeout)
	err := c.sm.Login(lctx, c.user)
	cancel()

	c.loginMu.Lock()
	if err != nil {
		if isCredentialFault(err) {
			c.loginFailures++
			c.loginFailedAt, c.loginErr = time.Now(), err
		}
		c.log.Error("logging in to vSphere again failed", "host", c.host, "credential_failures", c.loginFailures, "error", err)
	} else {
		c.loginFailures, c.loginErr = 0, nil
		c.perf.Store(nil)
		c.gen.Add(1)
		if c.onRelogin != nil {
			c.onRelogin()
		}
	}
	c.flight = nil
	c.loginMu.Unlock()
	f.err = err
	close(f.done)
}

// isCredentialFault reports whether vCenter refused the login itself — the
// failures that count towards locking an SSO account.
func isCredentialFault(err error) bool {
	return fault.Is(err, &types.InvalidLogin{}) || fault.Is(err, &types.NoPermission{})
}

func rootCAs(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading ca_file %s: %w", caFile, errors.Unwrap(err))
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}
