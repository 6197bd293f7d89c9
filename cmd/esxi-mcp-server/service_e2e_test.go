package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// probeLimit bounds a probe's wait for the server: a safety net, not a timing assertion.
const probeLimit = 60 * time.Second

// closedWithin reads conn until the server closes it; false if it is still
// open after probeLimit.
func closedWithin(conn net.Conn) bool {
	_ = conn.SetReadDeadline(time.Now().Add(probeLimit))
	_, err := io.Copy(io.Discard, conn)
	ne, ok := err.(net.Error)
	return !(ok && ne.Timeout())
}

// TestTimeoutsThroughBinary: idle keep-alive connections and clients that
// stall in their headers or body are closed by the server, with and without
// an API key; an MCP session with its idle GET stream outlives them.
func TestTimeoutsThroughBinary(t *testing.T) {
	for _, key := range []string{"", "timeout-key-77"} {
		t.Run("key="+strconv.FormatBool(key != ""), func(t *testing.T) {
			_, env := isolatedTmp(t)
			env = append(env, "MCP_HTTP_HEADER_TIMEOUT=1s", "MCP_HTTP_BODY_TIMEOUT=1s", "MCP_HTTP_WRITE_TIMEOUT=1s", "MCP_HTTP_IDLE_TIMEOUT=1s", "MCP_API_KEY="+key)
			_, url := startHTTP(t, env, "--simulator", "--listen", "127.0.0.1:0")
			addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/message")
			// The client drops its idle connections before the server's 1-s idle
			// timeout does, as clients of a real deployment (120 s) do; otherwise a
			// POST could race the server's close of a pooled connection.
			base := http.DefaultTransport.(*http.Transport).Clone()
			base.IdleConnTimeout = 300 * time.Millisecond
			client := &http.Client{Transport: base}
			if key != "" {
				client = &http.Client{Transport: headerTransport{map[string]string{"X-API-Key": key}, base}}
			}
			cs := connectHTTP(t, url, client) // its GET stream stays open and idle during the probes

			probes := []string{
				"", // connect and say nothing
				"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",        // one request, then idle keep-alive
				"POST /message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty", // stalled headers
				"POST /message HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key + "\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"jsonrpc\":", // stalled body
			}
			var wg sync.WaitGroup
			for i, send := range probes {
				for range 3 {
					wg.Go(func() {
						conn, err := net.Dial("tcp", addr)
						if err != nil {
							t.Error(err)
							return
						}
						defer conn.Close()
						if send != "" {
							_, _ = io.WriteString(conn, send)
						}
						if !closedWithin(conn) {
							t.Errorf("probe %d: the connection was still open after %s", i, probeLimit)
						}
					})
				}
			}
			wg.Wait()
			listVMs(t, cs) // the session survived the probes' deadlines
		})
	}
}

// TestSessionCapThroughBinary: with max_sessions 2, a third initialize gets
// 503 and Retry-After; closing a session makes room.
func TestSessionCapThroughBinary(t *testing.T) {
	_, env := isolatedTmp(t)
	_, url := startHTTP(t, append(env, "MCP_MAX_SESSIONS=2"), "--simulator", "--listen", "127.0.0.1:0")
	a := connectHTTP(t, url, nil)
	connectHTTP(t, url, nil)
	res, err := http.DefaultClient.Do(initRequest(t, url))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third initialize: %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	_ = a.Close()
	listVMs(t, connectHTTP(t, url, nil))
}

func initRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return req
}

// countingSimulator is a simulator whose SOAP requests are counted by method.
func countingSimulator(t *testing.T, opts simulator.Options) (*simulator.Simulator, *soapCounts) {
	t.Helper()
	c := &soapCounts{n: map[string]int64{}}
	opts.OnSOAP = func(method string) {
		c.mu.Lock()
		c.n[method]++
		c.mu.Unlock()
	}
	sim, err := simulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, c
}

// soapCounts counts the SOAP requests a simulator served, by method.
type soapCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

// of is how many requests of method were served.
func (c *soapCounts) of(method string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

// snapshot is a copy of the counts so far.
func (c *soapCounts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

func vcenterEnv(sim *simulator.Simulator) []string {
	return []string{"VCENTER_HOST=" + sim.URL.Host, "VCENTER_USER=" + sim.User, "VCENTER_PASSWORD=" + sim.Password, "VCENTER_CA_FILE=" + sim.CAFile}
}

// TestReadyzCostThroughBinary: a burst of unauthenticated /readyz requests
// costs vCenter nothing: readiness is the inventory mirror's state, read from
// memory. The mirror's own update stream (WaitForUpdatesEx long polls) runs
// whether or not anyone probes, so it is left out of the count; every other
// request served during the burst would be one /readyz caused.
func TestReadyzCostThroughBinary(t *testing.T) {
	sim, counts := countingSimulator(t, simulator.Options{})
	_, url := startHTTP(t, append(vcenterEnv(sim), "MCP_API_KEY=readyz-key-1"), "--listen", "127.0.0.1:0")
	readyz := strings.TrimSuffix(url, "/message") + "/readyz"
	// Ready first (the mirror filled): the fill's requests are not the burst's.
	for i := 0; ; i++ {
		res, err := http.Get(readyz)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 300 {
			t.Fatalf("/readyz never answered 200: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := counts.snapshot()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 20 {
		wg.Go(func() {
			for range 25 {
				res, err := http.Get(readyz)
				if err != nil {
					continue
				}
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 500 {
		t.Errorf("%d of 500 /readyz answered 200", ok.Load())
	}
	for method, n := range counts.snapshot() {
		if method == "WaitForUpdatesEx" {
			continue
		}
		if d := n - before[method]; d != 0 {
			t.Errorf("500 /readyz cost %d %s requests, want none", d, method)
		}
	}
}

var metricsURLPattern = regexp.MustCompile(`msg="serving Prometheus metrics" url=(\S+)`)

// TestMetricsThroughBinary: /metrics on its own listener moves after tool
// calls, an auth failure and a re-login, and carries no inventory names.
func TestMetricsThroughBinary(t *testing.T) {
	sim, _ := countingSimulator(t, simulator.Options{SessionTimeout: "1s"})
	const key = "metrics-key-42"
	p, url := startHTTP(t, append(vcenterEnv(sim), "MCP_API_KEY="+key, "MCP_METRICS_LISTEN=127.0.0.1:0"), "--listen", "127.0.0.1:0")
	m := metricsURLPattern.FindStringSubmatch(p.stderr())
	if m == nil {
		t.Fatalf("no metrics URL in the log:\n%s", p.stderr())
	}
	if code := connectAttempt(url, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", code)
	}
	cs := connectHTTP(t, url, &http.Client{Transport: headerTransport{map[string]string{"Authorization": "Bearer " + key}, http.DefaultTransport}})
	listVMs(t, cs)                      // answered by the inventory mirror: no request to vCenter
	time.Sleep(2500 * time.Millisecond) // the simulator expires the idle vCenter session (1 s)
	// A power operation reaches vCenter: NotAuthenticated, a re-login, the
	// retry. (get_vm would not do here: on an expired session the simulator
	// answers a property read with per-property NotAuthenticated faults, not
	// with a SOAP fault, and the server does not log in again.)
	call(t, cs, "power_off_vm", map[string]any{"name": "DC0_H0_VM0"})
	vc, err := sim.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if state := vmState(t, vc, "DC0_H0_VM0"); state == nil || state.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("DC0_H0_VM0 after power_off_vm: %+v", state)
	}

	res, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	scrape := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`esxi_mcp_tool_calls_total\{outcome="ok",tool="list_vms"\} 1\b`),
		regexp.MustCompile(`esxi_mcp_tool_calls_total\{outcome="ok",tool="power_off_vm"\} 1\b`),
		regexp.MustCompile(`esxi_mcp_tool_call_duration_seconds_count\{tool="list_vms"\} 1\b`),
		regexp.MustCompile(`esxi_mcp_tool_call_duration_seconds_count\{tool="power_off_vm"\} 1\b`),
		regexp.MustCompile(`esxi_mcp_http_requests_total\{code="401"\} [1-9]`),
		regexp.MustCompile(`esxi_mcp_vcenter_relogins_total [1-9]`),
		regexp.MustCompile(`esxi_mcp_vcenter_requests_total\{method="Login",outcome="ok"\} [2-9]`),
		// The request that met the expired session (which one is the tool's
		// business: the mirror's read-your-writes fence or the task start).
		regexp.MustCompile(`esxi_mcp_vcenter_requests_total\{method="\w+",outcome="error"\} [1-9]`),
		regexp.MustCompile(`esxi_mcp_vcenter_requests_total\{method="PowerOffVM_Task",outcome="ok"\} 1\b`),
		regexp.MustCompile(`esxi_mcp_calls_in_flight 0\b`),
		regexp.MustCompile(`esxi_mcp_sessions 1\b`),
		// Both answers took their turn (answer pacing), and none is held.
		regexp.MustCompile(`esxi_mcp_answers_paced_total 2\b`),
		regexp.MustCompile(`esxi_mcp_answers_sending 0\b`),
		regexp.MustCompile(`esxi_mcp_answers_waiting 0\b`),
		regexp.MustCompile(`go_goroutines \d`),
		regexp.MustCompile(`process_open_fds \d`),
	} {
		if !want.MatchString(scrape) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, name := range []string{"DC0_H0_VM0", "DC0_C0", "LocalDS_0", key} {
		if strings.Contains(scrape, name) {
			t.Errorf("metrics carry inventory data or a secret: %s", name)
		}
	}
}

// TestStatelessThroughBinary: with --stateless the Go SDK client calls tools
// without an initialize, and a bare tools/call POST is answered.
func TestStatelessThroughBinary(t *testing.T) {
	_, env := isolatedTmp(t)
	p, url := startHTTP(t, env, "--simulator", "--stateless", "--listen", "127.0.0.1:0", "--log-level", "DEBUG")
	cs := connectHTTP(t, url, nil)
	listVMs(t, cs)

	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_vms","arguments":{"limit":1}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(bufio.NewReader(res.Body))
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"vms"`) {
		t.Fatalf("bare tools/call: %d %s", res.StatusCode, b)
	}
	if strings.Contains(p.stderr(), "method=initialize") {
		t.Errorf("the server saw an initialize:\n%s", p.stderr())
	}
	if !strings.Contains(p.stderr(), "method=tools/call") {
		t.Errorf("the server logged no tools/call (is DEBUG logging on?)")
	}
}

// TestBusyPortThroughBinary: a port in use fails at once, naming --listen,
// before any login to vCenter.
func TestBusyPortThroughBinary(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	sim, counts := countingSimulator(t, simulator.Options{})
	logins := counts.of("Login") // the simulator's own seeding logs in once
	cmd := exec.Command(bin, "--listen", busy.Addr().String())
	cmd.Env = append(os.Environ(), vcenterEnv(sim)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want 1\n%s", err, stderr.String())
	}
	for _, want := range []string{"already in use", "--listen"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if n := counts.of("Login") - logins; n != 0 {
		t.Errorf("the server logged in to vCenter (%d) before binding its port", n)
	}
}
