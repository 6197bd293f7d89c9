package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const baseYAML = `vcenter_host: "vc.example.com"
vcenter_user: "administrator@vsphere.local"
vcenter_password: "s3cret"
`

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "c.yaml", baseYAML+"datacenter: FileDC\nlisten: 127.0.0.1:9000\ninsecure: true\nlog_level: debug\n")
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		check func(*Config) string
	}{
		{"file only", nil, nil, func(c *Config) string {
			return expect(c.Datacenter == "FileDC" && c.Listen == "127.0.0.1:9000" && c.Insecure && c.LogLevel == "debug", c)
		}},
		{"defaults", nil, nil, func(c *Config) string {
			return expect(c.Transport == "http" && c.Network == "VM Network" && c.NetworkDefaulted && c.Cluster == "" && c.APIKey == "", c)
		}},
		{"env beats file", map[string]string{"VCENTER_DATACENTER": "EnvDC", "VCENTER_INSECURE": "false", "MCP_LISTEN": "127.0.0.1:9001"}, nil, func(c *Config) string {
			return expect(c.Datacenter == "EnvDC" && !c.Insecure && c.Listen == "127.0.0.1:9001" && c.Origin("datacenter") == "env VCENTER_DATACENTER", c)
		}},
		{"empty env does not override", map[string]string{"VCENTER_DATACENTER": "", "MCP_LISTEN": ""}, nil, func(c *Config) string {
			return expect(c.Datacenter == "FileDC" && c.Listen == "127.0.0.1:9000", c)
		}},
		{"flag beats env", map[string]string{"MCP_LISTEN": "127.0.0.1:9001", "MCP_LOG_LEVEL": "ERROR"}, map[string]string{"listen": "127.0.0.1:9002", "log_level": "WARN"}, func(c *Config) string {
			return expect(c.Listen == "127.0.0.1:9002" && c.LogLevel == "WARN" && c.Origin("listen") == "flag --listen", c)
		}},
		{"env network clears default flag", map[string]string{"VCENTER_NETWORK": "Prod"}, nil, func(c *Config) string {
			return expect(c.Network == "Prod" && !c.NetworkDefaulted, c)
		}},
		{"api key trimmed", map[string]string{"MCP_API_KEY": "  k3y \n"}, nil, func(c *Config) string {
			return expect(c.APIKey == "k3y", c)
		}},
		{"bool env spellings", map[string]string{"MCP_READ_ONLY": "YES", "MCP_DISABLE_DESTRUCTIVE": "1"}, nil, func(c *Config) string {
			return expect(c.ReadOnly && c.DisableDestructive, c)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Options{File: file, Flags: tt.flags, LookupEnv: envOf(tt.env)})
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(ok bool, c *Config) string {
	if ok {
		return ""
	}
	return "unexpected config: " + c.LogValue().String()
}

func TestConfigFileFromEnvAndFormats(t *testing.T) {
	jsonFile := writeFile(t, "c.json", `{"vcenter_host":"vc","vcenter_user":"u","vcenter_password":"p","insecure":true,"cluster":"C1"}`)
	c, err := Load(Options{LookupEnv: envOf(map[string]string{"MCP_CONFIG_FILE": jsonFile})})
	if err != nil {
		t.Fatal(err)
	}
	if c.File != jsonFile || !c.Insecure || c.Cluster != "C1" {
		t.Errorf("JSON via MCP_CONFIG_FILE not applied: %v", c.LogValue())
	}
	ymlFile := writeFile(t, "c.yml", baseYAML)
	if _, err := Load(Options{File: ymlFile, LookupEnv: envOf(nil)}); err != nil {
		t.Errorf(".yml: %v", err)
	}
	// Environment alone, no file.
	c, err = Load(Options{LookupEnv: envOf(map[string]string{"VCENTER_HOST": "vc:8443", "VCENTER_USER": "u", "VCENTER_PASSWORD": "p"})})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := c.VCenterURL(); u.String() != "https://vc:8443/sdk" {
		t.Errorf("URL = %v", u)
	}
}

// TestBadConfig: each bad configuration is refused with one line that names the
// key (or the problem) and, for file problems, the file.
func TestBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		file    string // YAML or JSON content; "" for no file
		ext     string
		env     map[string]string
		flags   map[string]string
		want    []string
		noWords []string
	}{
		{name: "unknown key", file: baseYAML + "vcenter_hots: x\n", want: []string{`unknown key "vcenter_hots"`, "c.yaml"}},
		{name: "quoted bool", file: baseYAML + "insecure: \"false\"\n", want: []string{`key "insecure"`, "boolean", `string "false"`, "c.yaml"}},
		{name: "number for string", file: baseYAML + "datacenter: 42\n", want: []string{`key "datacenter"`, "want a string", "number 42"}},
		{name: "list for string", file: baseYAML + "cluster: [a, b]\n", want: []string{`key "cluster"`, "a list"}},
		{name: "numeric password not echoed", file: "vcenter_host: vc\nvcenter_user: u\nvcenter_password: 987654321\n", want: []string{`key "vcenter_password"`, "quote it"}, noWords: []string{"987654321"}},
		{name: "missing host", file: "vcenter_user: u\nvcenter_password: p\n", want: []string{"missing required config key vcenter_host", "VCENTER_HOST", "c.yaml"}},
		{name: "missing password", file: "vcenter_host: vc\nvcenter_user: u\n", want: []string{"vcenter_password", "VCENTER_PASSWORD"}},
		{name: "nothing at all", want: []string{"vcenter_host", "--simulator"}},
		{name: "duplicate key", file: baseYAML + "cluster: a\ncluster: b\n", want: []string{"cluster", "c.yaml"}},
		{name: "not a mapping", file: "- a\n- b\n", want: []string{"mapping", "c.yaml"}},
		{name: "broken YAML", file: "vcenter_host: [\n", want: []string{"invalid YAML", "c.yaml"}},
		{name: "broken JSON", file: `{"vcenter_host": }`, ext: ".json", want: []string{"invalid JSON", "c.json"}},
		{name: "JSON wrong type", file: `{"vcenter_host":"vc","vcenter_user":"u","vcenter_password":"p","insecure":"yes"}`, ext: ".json", want: []string{`key "insecure"`, "boolean"}},
		{name: "bad extension", file: baseYAML, ext: ".toml", want: []string{"unsupported extension", ".toml"}},
		{name: "bad transport", file: baseYAML, flags: map[string]string{"transport": "websocket"}, want: []string{"transport", "flag --transport", "websocket"}},
		{name: "bad log level", file: baseYAML + "log_level: verbose\n", want: []string{"log_level", "verbose", "DEBUG"}},
		{name: "bad env bool", file: baseYAML, env: map[string]string{"VCENTER_INSECURE": "nope"}, want: []string{"VCENTER_INSECURE", "true or false"}},
		{name: "bad listen", file: baseYAML, env: map[string]string{"MCP_LISTEN": "8080"}, want: []string{"listen", "host:port", "env MCP_LISTEN"}},
		{name: "public listen without key", file: baseYAML + "listen: 0.0.0.0:8080\n", want: []string{"refusing to listen on 0.0.0.0:8080 without an API key", "api_key", "MCP_API_KEY"}},
		{name: "blank api key", file: baseYAML + "api_key: \"   \"\n", want: []string{"api_key", "white space"}},
		{name: "cert without key", file: baseYAML + "tls_cert_file: /etc/hosts\n", want: []string{"tls_cert_file and tls_key_file"}},
		{name: "missing ca file", file: baseYAML + "ca_file: /nonexistent/ca.pem\n", want: []string{"ca_file", "/nonexistent/ca.pem"}},
		{name: "host with credentials", file: "vcenter_host: https://u:pw@vc/sdk\nvcenter_user: u\nvcenter_password: p\n", want: []string{"vcenter_host", "credentials"}, noWords: []string{"pw@"}},
		{name: "plain http vCenter", file: "vcenter_host: http://vc.example.com/sdk\nvcenter_user: u\nvcenter_password: p\n", want: []string{"vcenter_host", "plain http", "clear text", "insecure: true"}},
		{name: "public metrics listener", file: baseYAML + "metrics_listen: 0.0.0.0:9090\n", want: []string{"metrics_listen", "0.0.0.0:9090", "metrics_allow_remote", "MCP_METRICS_ALLOW_REMOTE"}},
		{name: "bad metrics listen", file: baseYAML, env: map[string]string{"MCP_METRICS_LISTEN": "9090"}, want: []string{"metrics_listen", "host:port"}},
		{name: "stateless over stdio", file: baseYAML, flags: map[string]string{"transport": "stdio", "stateless": "true"}, want: []string{"stateless", "HTTP transport only"}},
		{name: "stateless with consent always", file: baseYAML + "confirm_destructive: always\n", flags: map[string]string{"stateless": "true"}, want: []string{"stateless", "confirm_destructive", "elicitation"}},
		{name: "missing file", flags: nil, env: map[string]string{"MCP_CONFIG_FILE": "/nonexistent/config.yaml"}, want: []string{"/nonexistent/config.yaml", "does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := ""
			if tt.file != "" {
				ext := tt.ext
				if ext == "" {
					ext = ".yaml"
				}
				file = writeFile(t, "c"+ext, tt.file)
			}
			_, err := Load(Options{File: file, Flags: tt.flags, LookupEnv: envOf(tt.env)})
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			for _, w := range append(tt.noWords, "s3cret") {
				if strings.Contains(msg, w) {
					t.Errorf("error %q reveals %q", msg, w)
				}
			}
		})
	}
}

func TestSimulatorNeedsNoCredentials(t *testing.T) {
	c, err := Load(Options{Flags: map[string]string{"simulator": "true"}, LookupEnv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Simulator || c.Listen != DefaultListen {
		t.Errorf("got %v", c.LogValue())
	}
}

func TestParseVCenterHost(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "vc.example.com", want: "https://vc.example.com/sdk"},
		{in: "vc.example.com:8443", want: "https://vc.example.com:8443/sdk"},
		{in: "10.0.0.5", want: "https://10.0.0.5/sdk"},
		{in: "[fd00::5]:443", want: "https://[fd00::5]:443/sdk"},
		{in: "https://vc.example.com/sdk", want: "https://vc.example.com/sdk"},
		{in: "https://vc.example.com", want: "https://vc.example.com/sdk"},
		{in: "https://vc.example.com/", want: "https://vc.example.com/sdk"},
		{in: " vc.example.com ", want: "https://vc.example.com/sdk"},
		{in: "ftp://vc", err: "scheme"},
		{in: "vc:notaport", err: "vcenter_host"},
		{in: "", err: "empty"},
	}
	for _, tt := range tests {
		u, err := ParseVCenterHost(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("%q: got %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	c := &Config{VCenterPassword: "s3cret", APIKey: "k3y"}
	s := c.LogValue().String()
	if strings.Contains(s, "s3cret") || strings.Contains(s, "k3y") {
		t.Errorf("LogValue reveals a secret: %s", s)
	}
}

// TestNumberAndDurationKeys covers the whole-number and duration keys: their
// defaults, an explicit 0 that means "no bound", and strict types in the file.
func TestNumberAndDurationKeys(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		check   func(*Config) string
		wantErr string
	}{
		{name: "defaults", check: func(c *Config) string {
			return expect(c.TaskWaitSeconds == 50 && c.VCenterMaxConcurrency == 8 && c.MaxSessions == 1000 &&
				c.SessionIdleTimeout.Minutes() == 30 && c.ConfirmDestructive == "auto", c)
		}},
		{name: "explicit zero wait means to the end", file: "task_wait_seconds: 0\n", check: func(c *Config) string {
			return expect(c.TaskWaitSeconds == 0, c)
		}},
		{name: "env number and duration", env: map[string]string{"MCP_TASK_WAIT_SECONDS": "5", "MCP_SESSION_IDLE_TIMEOUT": "90s", "VCENTER_MAX_CONCURRENCY": "3"}, check: func(c *Config) string {
			return expect(c.TaskWaitSeconds == 5 && c.SessionIdleTimeout.Seconds() == 90 && c.VCenterMaxConcurrency == 3, c)
		}},
		{name: "quoted number refused", file: "max_sessions: \"ten\"\n", wantErr: `key "max_sessions": want a whole number`},
		{name: "negative refused", env: map[string]string{"MCP_MAX_SESSIONS": "-1"}, wantErr: "MCP_MAX_SESSIONS: want a number of at least 0"},
		{name: "bad duration", file: "session_idle_timeout: 30\n", wantErr: `key "session_idle_timeout": want a duration`},
		{name: "bad consent mode", file: "confirm_destructive: sometimes\n", wantErr: "config key confirm_destructive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "c.yaml", baseYAML+tt.file)
			c, err := Load(Options{File: file, LookupEnv: envOf(tt.env)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestServiceKeysAccepted: the choices the refusals above point to are accepted.
func TestServiceKeysAccepted(t *testing.T) {
	for name, file := range map[string]string{
		"http with insecure":     "vcenter_host: http://vc.example.com\nvcenter_user: u\nvcenter_password: p\ninsecure: true\n",
		"loopback metrics":       baseYAML + "metrics_listen: 127.0.0.1:9090\n",
		"remote metrics allowed": baseYAML + "metrics_listen: 0.0.0.0:9090\nmetrics_allow_remote: true\n",
		"stateless over http":    baseYAML + "stateless: true\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(Options{File: writeFile(t, "c.yaml", file), LookupEnv: envOf(nil)}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
