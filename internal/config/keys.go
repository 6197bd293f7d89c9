package config

import (
	"time"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// key describes one configuration key: its name in the file, its environment
// variable, its command-line flag (if any), and where its value lives.
type key struct {
	name string
	env  string
	flag string
	str  func(*Config) *string
	bool func(*Config) *bool
	int  func(*Config) *int           // a whole number (file: unquoted)
	dur  func(*Config) *time.Duration // a duration such as "30m" or "90s"
	// keys is the api_keys list: file only (the environment has no list form).
	keys func(*Config) *[]apikeys.Entry
}

// keys is the single table of configuration keys; loading, precedence and
// error messages are all driven from it.
var keys = []key{
	{name: "vcenter_host", env: "VCENTER_HOST", str: func(c *Config) *string { return &c.VCenterHost }},
	{name: "vcenter_user", env: "VCENTER_USER", str: func(c *Config) *string { return &c.VCenterUser }},
	{name: "vcenter_password", env: "VCENTER_PASSWORD", str: func(c *Config) *string { return &c.VCenterPassword }},
	{name: "datacenter", env: "VCENTER_DATACENTER", str: func(c *Config) *string { return &c.Datacenter }},
	{name: "cluster", env: "VCENTER_CLUSTER", str: func(c *Config) *string { return &c.Cluster }},
	{name: "datastore", env: "VCENTER_DATASTORE", str: func(c *Config) *string { return &c.Datastore }},
	{name: "network", env: "VCENTER_NETWORK", str: func(c *Config) *string { return &c.Network }},
	{name: "insecure", env: "VCENTER_INSECURE", bool: func(c *Config) *bool { return &c.Insecure }},
	{name: "ca_file", env: "VCENTER_CA_FILE", str: func(c *Config) *string { return &c.CAFile }},
	{name: "api_key", env: "MCP_API_KEY", str: func(c *Config) *string { return &c.APIKey }},
	{name: "api_keys", keys: func(c *Config) *[]apikeys.Entry { return &c.APIKeys }},
	{name: "listen", env: "MCP_LISTEN", flag: "listen", str: func(c *Config) *string { return &c.Listen }},
	{name: "transport", env: "MCP_TRANSPORT", flag: "transport", str: func(c *Config) *string { return &c.Transport }},
	{name: "tls_cert_file", env: "MCP_TLS_CERT_FILE", str: func(c *Config) *string { return &c.TLSCertFile }},
	{name: "tls_key_file", env: "MCP_TLS_KEY_FILE", str: func(c *Config) *string { return &c.TLSKeyFile }},
	{name: "log_file", env: "MCP_LOG_FILE", flag: "log-file", str: func(c *Config) *string { return &c.LogFile }},
	{name: "log_level", env: "MCP_LOG_LEVEL", flag: "log-level", str: func(c *Config) *string { return &c.LogLevel }},
	{name: "simulator", env: "MCP_SIMULATOR", flag: "simulator", bool: func(c *Config) *bool { return &c.Simulator }},
	{name: "read_only", env: "MCP_READ_ONLY", flag: "read-only", bool: func(c *Config) *bool { return &c.ReadOnly }},
	{name: "disable_destructive", env: "MCP_DISABLE_DESTRUCTIVE", flag: "disable-destructive", bool: func(c *Config) *bool { return &c.DisableDestructive }},
	{name: "task_wait_seconds", env: "MCP_TASK_WAIT_SECONDS", int: func(c *Config) *int { return &c.TaskWaitSeconds }},
	{name: "vcenter_max_concurrency", env: "VCENTER_MAX_CONCURRENCY", int: func(c *Config) *int { return &c.VCenterMaxConcurrency }},
	{name: "confirm_destructive", env: "MCP_CONFIRM_DESTRUCTIVE", str: func(c *Config) *string { return &c.ConfirmDestructive }},
	{name: "audit_log", env: "MCP_AUDIT_LOG", str: func(c *Config) *string { return &c.AuditLog }},
	{name: "max_sessions", env: "MCP_MAX_SESSIONS", int: func(c *Config) *int { return &c.MaxSessions }},
	{name: "max_concurrent_calls", env: "MCP_MAX_CONCURRENT_CALLS", int: func(c *Config) *int { return &c.MaxConcurrentCalls }},
	{name: "session_idle_timeout", env: "MCP_SESSION_IDLE_TIMEOUT", dur: func(c *Config) *time.Duration { return &c.SessionIdleTimeout }},
	{name: "metrics_listen", env: "MCP_METRICS_LISTEN", str: func(c *Config) *string { return &c.MetricsListen }},
	{name: "http_header_timeout", env: "MCP_HTTP_HEADER_TIMEOUT", dur: func(c *Config) *time.Duration { return &c.HTTPHeaderTimeout }},
	{name: "http_body_timeout", env: "MCP_HTTP_BODY_TIMEOUT", dur: func(c *Config) *time.Duration { return &c.HTTPBodyTimeout }},
	{name: "http_write_timeout", env: "MCP_HTTP_WRITE_TIMEOUT", dur: func(c *Config) *time.Duration { return &c.HTTPWriteTimeout }},
	{name: "http_idle_timeout", env: "MCP_HTTP_IDLE_TIMEOUT", dur: func(c *Config) *time.Duration { return &c.HTTPIdleTimeout }},
	{name: "metrics_allow_remote", env: "MCP_METRICS_ALLOW_REMOTE", bool: func(c *Config) *bool { return &c.MetricsAllowRemote }},
	{name: "stateless", env: "MCP_STATELESS", flag: "stateless", bool: func(c *Config) *bool { return &c.Stateless }},
}

// KeyInfo is the public view of a configuration key, for documentation.
type KeyInfo struct {
	Name, Env, Flag string
	Bool            bool
}

// Keys lists every configuration key in the order of the table.
func Keys() []KeyInfo {
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{Name: k.name, Env: k.env, Flag: k.flag, Bool: k.bool != nil}
	}
	return out
}

func lookupKey(name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}
