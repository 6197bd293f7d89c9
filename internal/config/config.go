// Package config loads and validates the server's configuration from a YAML or
// JSON file, environment variables and command-line flags.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// Transports the server can speak.
const (
	TransportHTTP  = "http"
	TransportStdio = "stdio"
)

// DefaultListen is the HTTP listen address when none is configured.
const DefaultListen = "127.0.0.1:8080"

// Defaults of the second-wave keys.
const (
	DefaultTaskWaitSeconds       = 50
	DefaultVCenterMaxConcurrency = 8
	DefaultMaxSessions           = 1000
	DefaultMaxConcurrentCalls    = 64
	DefaultSessionIdleTimeout    = 30 * time.Minute
)

// Values of confirm_destructive.
const (
	ConfirmAuto   = "auto"
	ConfirmAlways = "always"
	ConfirmNever  = "never"
)

// DefaultNetwork is the port group new VMs are attached to when none is configured.
const DefaultNetwork = "VM Network"

// Config is the complete, validated configuration of one server process.
type Config struct {
	VCenterHost     string
	VCenterUser     string
	VCenterPassword string
	Datacenter      string
	Cluster         string
	Datastore       string
	Network         string
	Insecure        bool
	CAFile          string

	APIKey string
	// APIKeys are the scoped keys (api_keys); APIKey, when set, joins them as
	// an admin key named "default" (see KeySet).
	APIKeys     []apikeys.Entry
	Listen      string
	Transport   string
	TLSCertFile string
	TLSKeyFile  string

	LogFile  string
	LogLevel string

	Simulator          bool
	ReadOnly           bool
	DisableDestructive bool

	// TaskWaitSeconds bounds how long a mutating tool waits for its vSphere
	// task before answering with the running task (0: wait to the end).
	TaskWaitSeconds int
	// VCenterMaxConcurrency bounds the requests in flight to vCenter.
	VCenterMaxConcurrency int
	// ConfirmDestructive is auto, always or never (human consent through elicitation).
	ConfirmDestructive string
	// AuditLog is the JSON-lines audit file ("" : no audit trail).
	AuditLog string
	// MaxSessions caps live MCP sessions over HTTP.
	MaxSessions int
	// MaxConcurrentCalls caps tool calls running at once.
	MaxConcurrentCalls int
	// SessionIdleTimeout closes MCP sessions idle this long.
	SessionIdleTimeout time.Duration
	// MetricsListen is the address of the Prometheus /metrics listener ("" : off).
	MetricsListen string
	// HTTP timeouts (0: the defaults of internal/httpserver: 10 s to read
	// headers, 30 s to read a body, 30 s per write, 120 s idle keep-alive).
	HTTPHeaderTimeout time.Duration
	HTTPBodyTimeout   time.Duration
	HTTPWriteTimeout  time.Duration
	HTTPIdleTimeout   time.Duration
	// MetricsAllowRemote lets metrics_listen bind a non-loopback address
	// (the endpoint is unauthenticated).
	MetricsAllowRemote bool
	// Stateless serves Streamable HTTP without server-side sessions.
	Stateless bool

	// File is the configuration file that was read, or "" if none.
	File string
	// NetworkDefaulted is true when Network was not configured and holds DefaultNetwork.
	NetworkDefaulted bool

	origin map[string]string
}

// LogValue keeps secrets out of logs: the password and API key are never rendered.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("file", c.File),
		slog.String("vcenter_host", c.VCenterHost),
		slog.String("vcenter_user", c.VCenterUser),
		slog.Bool("vcenter_password_set", c.VCenterPassword != ""),
		slog.String("datacenter", c.Datacenter),
		slog.String("cluster", c.Cluster),
		slog.String("datastore", c.Datastore),
		slog.String("network", c.Network),
		slog.Bool("insecure", c.Insecure),
		slog.String("ca_file", c.CAFile),
		slog.Bool("api_key_set", c.APIKey != ""),
		slog.Any("api_keys", c.keyNames()),
		slog.String("listen", c.Listen),
		slog.String("transport", c.Transport),
		slog.Bool("tls", c.TLSCertFile != ""),
		slog.String("log_level", c.LogLevel),
		slog.Bool("simulator", c.Simulator),
		slog.Bool("read_only", c.ReadOnly),
		slog.Bool("disable_destructive", c.DisableDestructive),
		slog.Int("task_wait_seconds", c.TaskWaitSeconds),
		slog.Int("vcenter_max_concurrency", c.VCenterMaxConcurrency),
		slog.String("confirm_destructive", c.ConfirmDestructive),
		slog.String("audit_log", c.AuditLog),
		slog.Int("max_sessions", c.MaxSessions),
		slog.Int("max_concurrent_calls", c.MaxConcurrentCalls),
		slog.Duration("session_idle_timeout", c.SessionIdleTimeout),
		slog.String("metrics_listen", c.MetricsListen),
		slog.Bool("metrics_allow_remote", c.MetricsAllowRemote),
		slog.Duration("http_header_timeout", c.HTTPHeaderTimeout),
		slog.Duration("http_body_timeout", c.HTTPBodyTimeout),
		slog.Duration("http_write_timeout", c.HTTPWriteTimeout),
		slog.Duration("http_idle_timeout", c.HTTPIdleTimeout),
		slog.Bool("stateless", c.Stateless),
	)
}

// Origin says where a key's value came from ("file /etc/x.yaml", "env VCENTER_HOST",
// "flag --listen" or "default").
func (c *Config) Origin(key string) string {
	if o, ok := c.origin[key]; ok {
		return o
	}
	return "default"
}

// VCenterURL turns vcenter_host (host, host:port or URL) into the SDK endpoint URL.
// The returned URL carries no credentials.
func (c *Config) VCenterURL() (*url.URL, error) {
	return ParseVCenterHost(c.VCenterHost)
}

// ParseVCenterHost accepts "host", "host:port", "[v6]:port" or "https://host[:port][/sdk]".
func ParseVCenterHost(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("vcenter_host is empty")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("vcenter_host %q is not a host, host:port or URL", s)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("vcenter_host %q: scheme must be https", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("vcenter_host %q has no host name", s)
	}
	if u.User != nil {
		return nil, fmt.Errorf("vcenter_host must not contain credentials: use vcenter_user and vcenter_password")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return nil, fmt.Errorf("vcenter_host %q: bad port %q", u.Host, p)
		}
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// IsLoopbackListen reports whether addr (host:port) binds only to a loopback interface.
func IsLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
