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
	// LateCancelWatch is how long, after vSphere accepts the cancel of a task,
	// to keep watching it for a late success. 0 (a real vCenter) stops at the
	// first final state: a cancelled task stays cancelled. govmomi's simulator
	// marks a cancelled task cancelled yet still completes the operation when
	// its delay ends, so the embedded simulator and the tests set this.
	LateCancelWatch time.Duration
	// Inventory tunes the inventory mirror (tests set small pages and update sets).
	Inventory inventory.Options
}

// Client is the one vCenter session of the server, shared by every MCP session.
// It re-logs in transparently when vCenter expires the session.
type Client struct {
	vim  *vim25.Client
	sm   *session.Manager
	user *url.Userinfo
	log  *slog.Logger
	host string
	jar  *sessionJar

	lateCancelWatch time.Duration

	loginMu sync.Mutex    // serialises re-login; guards the failure fields
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

		lateCancelWatch: opts.LateCancelWatch,
		reloginBackoff:  time.Minute,
	}
	rt := soap.RoundTripper(&reloginRoundTripper{next: sc, client: c})
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

// Close logs out. It is safe to call on a nil Client.
func (c *Client) Close(ctx context.Context) error {
	if c == nil || c.sm == nil {
		return nil
	}
	c.stopMirror(ctx)
	if err := c.sm.Logout(ctx); err != nil {
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

// relogin logs in again unless another goroutine already did so since seen.
// A fresh session also means a fresh counter catalogue read. After vCenter
// refused the credentials it does not try again until the backoff has passed,
// returning the last error; other failures (network, timeout) do not count.
func (c *Client) relogin(ctx context.Context, seen uint64) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.gen.Load() != seen {
		return nil
	}
	if c.loginFailures > 0 {
		wait := min(c.reloginBackoff<<(c.loginFailures-1), maxReloginBackoff)
		if left := wait - time.Since(c.loginFailedAt); left > 0 {
			return &backoffError{err: c.loginErr, left: left}
		}
	}
	c.log.Warn("vSphere session expired; logging in again", "host", c.host)
	c.jar.reset() // a fresh session, whatever vCenter thinks of the old cookie
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loginTimeout)
	defer cancel()
	if err := c.sm.Login(lctx, c.user); err != nil {
		if isCredentialFault(err) {
			c.loginFailures++
			c.loginFailedAt, c.loginErr = time.Now(), err
		}
		c.log.Error("logging in to vSphere again failed", "host", c.host, "credential_failures", c.loginFailures, "error", err)
		return err
	}
	c.loginFailures, c.loginErr = 0, nil
	c.perf.Store(nil)
	c.gen.Add(1)
	return nil
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
