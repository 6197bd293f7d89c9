package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// TestStdioSimulator drives the binary over stdio with the arguments exactly as
// an MCP client configuration passes them: every argument its own string.
func TestStdioSimulator(t *testing.T) {
	tmp, env := isolatedTmp(t)
	cmd := exec.Command(bin, "--simulator", "--transport", "stdio")
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cs := connectStdio(t, cmd, &stderr)
	ctx := context.Background()
	init := cs.InitializeResult()
	if init.ServerInfo.Name != "esxi-mcp-server" || !strings.Contains(init.Instructions, "vSphere") {
		t.Errorf("server info %+v, instructions %q", init.ServerInfo, init.Instructions)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) == 0 {
		t.Fatalf("tools/list: %v (%d tools)", err, len(tools.Tools))
	}
	if l := listVMs(t, cs); !hasTemplate(l) {
		t.Error("the simulator inventory has no template")
	}
	// Closing stdin ends the session; the process exits 0 and cleans up.
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Errorf("process state after close: %v\n%s", cmd.ProcessState, stderr.String())
	}
	if !strings.Contains(stderr.String(), "serving MCP over stdio") {
		t.Errorf("stderr lacks the start-up log:\n%s", stderr.String())
	}
	assertEmptyDir(t, tmp)
}

// TestStdioConfigFile is the original's invocation: -c config.yaml --transport
// stdio against a vCenter (an in-process simulator here) with TLS verified
// through ca_file.
func TestStdioConfigFile(t *testing.T) {
	sim := startSimulator(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	writeConfig(t, cfg, map[string]any{
		"vcenter_host": sim.URL.Host, "vcenter_user": sim.User, "vcenter_password": sim.Password,
		"ca_file": sim.CAFile, "datacenter": "DC0", "cluster": "DC0_C0", "log_level": "warning",
	})
	cmd := exec.Command(bin, "-c", cfg, "--transport", "stdio")
	var stderr strings.Builder
	cs := connectStdio(t, cmd, &stderr)
	listVMs(t, cs)
	_ = cs.Close()
	if strings.Contains(stderr.String(), "level=INFO") {
		t.Errorf("log_level warning still logged INFO lines:\n%s", stderr.String())
	}
}

// connectStdio starts cmd as an MCP server over stdio, collecting its stderr.
func connectStdio(t *testing.T, cmd *exec.Cmd, stderr *strings.Builder) *mcp.ClientSession {
	t.Helper()
	cmd.Stderr = stderr
	c := mcp.NewClient(&mcp.Implementation{Name: "stdio-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect over stdio to %v: %v\n%s", cmd.Args, err, stderr.String())
	}
	return cs
}

func startSimulator(t *testing.T) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.Start(context.Background(), simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func writeConfig(t *testing.T, path string, m map[string]any) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// JSON is valid YAML; the extension decides the parser.
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPWithAPIKey: Streamable HTTP with an API key, from MCP_API_KEY; then a
// graceful SIGTERM that removes the simulator's temporary files.
func TestHTTPWithAPIKey(t *testing.T) {
	tmp, env := isolatedTmp(t)
	const key = "test-key-8c1e2f"
	p, url := startHTTP(t, append(env, "MCP_API_KEY="+key), "--simulator", "--listen", "127.0.0.1:0")

	res, err := http.Post(url, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: status %d, want 401", res.StatusCode)
	}
	for _, hdr := range []map[string]string{{"Authorization": "Bearer " + key}, {"X-API-Key": key}} {
		cs := connectHTTP(t, url, &http.Client{Transport: headerTransport{hdr, http.DefaultTransport}})
		listVMs(t, cs)
		_ = cs.Close()
	}
	// Two clients at once get two sessions.
	a := connectHTTP(t, url, &http.Client{Transport: headerTransport{map[string]string{"X-API-Key": key}, http.DefaultTransport}})
	b := connectHTTP(t, url, &http.Client{Transport: headerTransport{map[string]string{"X-API-Key": key}, http.DefaultTransport}})
	if a.ID() == "" || a.ID() == b.ID() {
		t.Errorf("session ids %q and %q: want one session per client", a.ID(), b.ID())
	}
	health, err := http.Get(strings.TrimSuffix(url, "/message") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusOK {
		t.Errorf("/readyz without a key = %d, want 200", health.StatusCode)
	}
	if !strings.Contains(p.stderr(), `"url": "`+url+`", "headers": {"Authorization": "Bearer <your api_key>"}`) {
		t.Errorf("banner lacks an example client config:\n%s", p.stderr())
	}
	if !strings.Contains(p.stderr(), `--transport http --header "Authorization: Bearer <your api_key>" --method tools/call`) {
		t.Errorf("banner's try-it command lacks the key header:\n%s", p.stderr())
	}
	assertCleanExit(t, p.stop(t, syscall.SIGTERM), p)
	assertEmptyDir(t, tmp)
}

func TestSIGINTCleansUp(t *testing.T) {
	tmp, env := isolatedTmp(t)
	p, url := startHTTP(t, env, "--simulator", "--listen", "127.0.0.1:0")
	cs := connectHTTP(t, url, nil) // an open session with its GET stream must not block shutdown
	listVMs(t, cs)
	assertCleanExit(t, p.stop(t, os.Interrupt), p)
	assertEmptyDir(t, tmp)
	if !strings.Contains(p.stderr(), "logged out of vSphere") {
		t.Errorf("the vCenter session was not logged out on shutdown:\n%s", p.stderr())
	}
}

// TestDebugLogsHaveNoSecrets runs a whole session at DEBUG, logging to a file,
// and proves neither the vCenter password nor the API key appears in any line.
func TestDebugLogsHaveNoSecrets(t *testing.T) {
	sim := startSimulator(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "logs", "nested", "server.log") // parent directories are created
	const key = "api-key-5f0c9e77d1"
	cfg := filepath.Join(dir, "config.json")
	writeConfig(t, cfg, map[string]any{
		"vcenter_host": "https://" + sim.URL.Host + "/sdk", "vcenter_user": sim.User, "vcenter_password": sim.Password,
		"ca_file": sim.CAFile, "api_key": key, "log_level": "DEBUG", "log_file": logFile,
	})
	// An explicit empty --log-file overrides the file's log_file: logs go to
	// stderr, where the test reads them. The file is exercised below.
	p, url := startHTTP(t, nil, "-c", cfg, "--listen", "127.0.0.1:0", "--log-file", "")
	cs := connectHTTP(t, url, &http.Client{Transport: headerTransport{map[string]string{"Authorization": "Bearer " + key}, http.DefaultTransport}})
	listVMs(t, cs)
	bad := connectAttempt(url, "Bearer wrong-"+key)
	_ = cs.Close()
	assertCleanExit(t, p.stop(t, syscall.SIGTERM), p)
	if bad == http.StatusOK {
		t.Error("a wrong key was accepted")
	}
	logs := p.stderr()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("no DEBUG lines were logged:\n%s", logs)
	}
	for _, secret := range []string{sim.Password, key} {
		if strings.Contains(logs, secret) {
			t.Errorf("a secret appears in the logs")
		}
	}

	// The same configuration over stdio, logging to the file: stdout carries
	// only the protocol, and the file has no secret either.
	var stdioErr strings.Builder
	stdio := connectStdio(t, exec.Command(bin, "-c", cfg, "--transport", "stdio"), &stdioErr)
	listVMs(t, stdio)
	_ = stdio.Close()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	if !strings.Contains(string(b), "level=DEBUG") || !strings.Contains(string(b), "list_vms") {
		t.Errorf("log file lacks the DEBUG session:\n%s", b)
	}
	if strings.Contains(string(b), sim.Password) || strings.Contains(string(b), key) {
		t.Error("the log file reveals a secret")
	}
}

func connectAttempt(url, auth string) int {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestTLSListener serves HTTPS with tls_cert_file and tls_key_file.
func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	_, env := isolatedTmp(t)
	env = append(env, "MCP_TLS_CERT_FILE="+certFile, "MCP_TLS_KEY_FILE="+keyFile)
	_, url := startHTTP(t, env, "--simulator", "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("url %s is not https", url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cs := connectHTTP(t, url, client)
	listVMs(t, cs)
}

func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestStartupFailures: each start-up failure exits non-zero with one clear line.
func TestStartupFailures(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := closed.Addr().String()
	closed.Close()
	sim := startSimulator(t)
	vc := []string{"VCENTER_HOST=" + sim.URL.Host, "VCENTER_USER=" + sim.User, "VCENTER_PASSWORD=" + sim.Password, "VCENTER_CA_FILE=" + sim.CAFile}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"public listen without key", nil, []string{"--simulator", "--listen", "0.0.0.0:0"}, 1, "refusing to listen on 0.0.0.0:0 without an API key"},
		{"no configuration", []string{"VCENTER_HOST="}, nil, 1, "missing required config key vcenter_host"},
		{"unreachable vCenter", []string{"VCENTER_HOST=" + dead, "VCENTER_USER=u", "VCENTER_PASSWORD=pw-not-shown"}, []string{"--transport", "stdio"}, 1, "cannot reach vCenter at " + dead},
		{"unknown datacenter", append(vc, "VCENTER_DATACENTER=DC9"), []string{"--transport", "stdio"}, 1, `datacenter "DC9" not found; available: DC0`},
		{"unknown cluster", append(vc, "VCENTER_CLUSTER=prod"), []string{"--transport", "stdio"}, 1, `cluster "prod" not found`},
		{"wrong password", append(vc, "VCENTER_PASSWORD=wrong"), []string{"--transport", "stdio"}, 1, "rejected the login"},
		{"untrusted vCenter certificate", append(vc, "VCENTER_CA_FILE="), []string{"--transport", "stdio"}, 1, "set ca_file"},
		{"joined arguments", nil, []string{"--transport stdio"}, 2, `"--transport stdio" is one argument; pass the flag and its value as two ("--transport", "stdio")`},
		{"stray argument", nil, []string{"--simulator", "stdio"}, 2, `unexpected argument "stdio"`},
		{"bad log level", nil, []string{"--simulator", "--log-level", "loud"}, 1, "log_level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Stdin = strings.NewReader("")
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "pw-not-shown") || strings.Contains(stderr.String(), "goroutine ") {
				t.Errorf("stderr reveals the password or a stack trace:\n%s", stderr.String())
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "esxi-mcp-server ") {
		t.Errorf("--version: %q %v", out, err)
	}
	cmd := exec.Command(bin, "-h")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stderr.String(), "--transport") {
		t.Errorf("-h: %v\n%s", err, stderr.String())
	}
}
