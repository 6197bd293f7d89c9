package config

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
)

// Validate checks the configuration as a whole. Each error is one line that
// names the key and where its value came from.
func (c *Config) Validate() error {
	switch c.Transport {
	case TransportHTTP, TransportStdio:
	default:
		return c.errorf("transport", "must be %q or %q, got %q", TransportHTTP, TransportStdio, c.Transport)
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		return c.errorf("log_level", "%v", err)
	}
	switch c.ConfirmDestructive {
	case ConfirmAuto, ConfirmAlways, ConfirmNever:
	default:
		return c.errorf("confirm_destructive", "must be %q, %q or %q, got %q", ConfirmAuto, ConfirmAlways, ConfirmNever, c.ConfirmDestructive)
	}

	if !c.Simulator {
		for _, name := range []string{"vcenter_host", "vcenter_user", "vcenter_password"} {
			k, _ := lookupKey(name)
			if strings.TrimSpace(*k.str(c)) == "" {
				return c.missing(k)
			}
		}
		u, err := c.VCenterURL()
		if err != nil {
			return c.errorf("vcenter_host", "%v", err)
		}
		if u.Scheme == "http" && !c.Insecure {
			return c.errorf("vcenter_host", "%s is plain http: the vCenter password would cross the network in clear text; use https (or, for a lab, set insecure: true to accept it)", u.Redacted())
		}
	}

	if c.APIKey != "" {
		trimmed := strings.TrimSpace(c.APIKey)
		if trimmed == "" {
			return c.errorf("api_key", "is only white space; set a real key or remove it")
		}
		c.APIKey = trimmed
	}

	if _, err := c.KeySet(); err != nil {
		return err
	}

	if c.Transport == TransportHTTP {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return c.errorf("listen", "want host:port (e.g. 127.0.0.1:8080), got %q", c.Listen)
		}
		if !IsLoopbackListen(c.Listen) && len(c.KeyEntries()) == 0 {
			return fmt.Errorf("refusing to listen on %s without an API key: set api_key or api_keys in the config file or MCP_API_KEY in the environment, or listen on 127.0.0.1", c.Listen)
		}
		if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
			return c.errorf("tls_cert_file", "tls_cert_file and tls_key_file must be set together")
		}
		for _, name := range []string{"tls_cert_file", "tls_key_file"} {
			if err := c.checkFile(name); err != nil {
				return err
			}
		}
	}
	if err := c.validateService(); err != nil {
		return err
	}
	return c.checkFile("ca_file")
}

// validateService checks the keys of running as a service: the metrics
// listener and stateless mode.
func (c *Config) validateService() error {
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return c.errorf("metrics_listen", "want host:port (e.g. 127.0.0.1:9090), got %q", c.MetricsListen)
		}
		if !IsLoopbackListen(c.MetricsListen) && !c.MetricsAllowRemote {
			return c.errorf("metrics_listen", "refusing to serve the unauthenticated /metrics on %s: listen on 127.0.0.1, or set metrics_allow_remote: true (MCP_METRICS_ALLOW_REMOTE=true) when a network policy protects the port", c.MetricsListen)
		}
	}
	if c.Stateless {
		if c.Transport != TransportHTTP {
			return c.errorf("stateless", "applies to the HTTP transport only; remove it for --transport stdio")
		}
		if c.ConfirmDestructive == ConfirmAlways {
			return c.errorf("stateless", "cannot be combined with confirm_destructive: always: asking the user (elicitation) needs a server-side session; use confirm_destructive: never or auto, or run with sessions")
		}
	}
	return nil
}

func (c *Config) checkFile(name string) error {
	k, _ := lookupKey(name)
	path := *k.str(c)
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return c.errorf(name, "cannot read %s: %v", path, unwrapPathError(err))
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (c *Config) errorf(name, format string, args ...any) error {
	return fmt.Errorf("config key %s (from %s): %s", name, c.Origin(name), fmt.Sprintf(format, args...))
}

func (c *Config) missing(k key) error {
	where := "set it in the config file"
	if c.File != "" {
		where = "set it in " + c.File
	}
	return fmt.Errorf("missing required config key %s: %s or in the environment as %s (or run with --simulator for a demo)", k.name, where, k.env)
}

// ParseLogLevel accepts DEBUG, INFO, WARNING (or WARN) and ERROR in any case.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO", "":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("want DEBUG, INFO, WARNING or ERROR, got %q", s)
}
