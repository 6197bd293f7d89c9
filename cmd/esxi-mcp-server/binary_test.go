package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// bin is the server binary built once for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esxi-mcp-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "esxi-mcp-server")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the server:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running server process whose stderr is collected.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	errb bytes.Buffer
	url  chan string
	done chan error
}

var urlPattern = regexp.MustCompile(`msg="serving MCP over Streamable HTTP" url=(\S+)`)

// startHTTP starts the binary and waits until it serves HTTP; it is killed when the test ends.
func startHTTP(t *testing.T, env []string, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), url: make(chan string, 1), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A graceful stop ends the server's long polls on vCenter (the
		// inventory mirror's update stream), which the simulator would
		// otherwise hold open for their whole wait when the test closes it.
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.errb.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := urlPattern.FindStringSubmatch(sc.Text()); m != nil {
				p.url <- m[1]
			}
		}
		p.done <- p.cmd.Wait()
	}()
	select {
	case u := <-p.url:
		return p, u
	case err := <-p.done:
		p.done <- err
		t.Fatalf("server exited before serving: %v\n%s", err, p.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("server %v did not start serving in time\n%s", args, p.stderr())
	}
	return nil, ""
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// stop signals the process and returns its exit error once it has exited.
func (p *proc) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not exit after %v\n%s", sig, p.stderr())
	}
	return nil
}

// headerTransport adds headers to every request.
type headerTransport struct {
	headers map[string]string
	base    http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.base.RoundTrip(r)
}

func connectHTTP(t *testing.T, url string, client *http.Client) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "binary-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: client}, nil)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// listVMs calls list_vms and decodes the answer.
func listVMs(t *testing.T, cs *mcp.ClientSession) vsphere.VMList {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_vms", Arguments: map[string]any{"include_templates": true}})
	if err != nil {
		t.Fatalf("list_vms: %v", err)
	}
	if res.IsError {
		t.Fatalf("list_vms tool error: %v", res.Content)
	}
	var out vsphere.VMList
	if err := remarshal(res.StructuredContent, &out); err != nil {
		t.Fatal(err)
	}
	if out.Total < 3 || len(out.VMs) != out.Total {
		t.Fatalf("list_vms returned %d of %d VMs", len(out.VMs), out.Total)
	}
	return out
}

func hasTemplate(l vsphere.VMList) bool {
	for _, v := range l.VMs {
		if v.Template {
			return true
		}
	}
	return false
}

// isolatedTmp gives the process its own TMPDIR, to check what it leaves behind.
func isolatedTmp(t *testing.T) (string, []string) {
	dir := t.TempDir()
	return dir, []string{"TMPDIR=" + dir}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("left behind in TMPDIR: %s", strings.Join(names, ", "))
	}
}

func assertCleanExit(t *testing.T, err error, p *proc) {
	t.Helper()
	if err != nil {
		t.Errorf("exit: %v, want 0\n%s", err, p.stderr())
	}
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
