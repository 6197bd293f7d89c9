package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// serverPackage is the server's main package, built when -server is not given.
const serverPackage = "github.com/esxi-mcp-server/esxi-mcp-server/cmd/esxi-mcp-server"

// serverProc is the server under measurement: the real esxi-mcp-server
// binary in its own process, connected to the simulator like to any vCenter.
// Its own process gives it its own memory figures, and keeps the simulator's
// large heap out of its garbage collector (as a real vCenter is).
type serverProc struct {
	cmd      *exec.Cmd
	endpoint string
	done     chan struct{} // closed when the process has exited
	waitErr  error
	mu       sync.Mutex
	tail     []string // its last lines on stderr, for errors
}

// buildServer builds the server binary into a new temporary directory and
// returns its path and a cleanup that removes the directory.
func buildServer(ctx context.Context, log io.Writer) (string, func(), error) {
	dir, err := os.MkdirTemp("", "esxi-mcp-bench-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	bin := filepath.Join(dir, "esxi-mcp-server")
	fmt.Fprintf(log, "building %s...\n", serverPackage)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building the server (run the benchmark from the repository, or pass -server): %w", err)
	}
	return bin, cleanup, nil
}

var servingURL = regexp.MustCompile(`msg="serving MCP over Streamable HTTP" url=(\S+)`)

// startServer runs the server binary on the simulator, over Streamable HTTP
// on a loopback port, and waits until it serves.
func startServer(ctx context.Context, bin string, sim *simulator.Simulator, o options) (*serverProc, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(envWithout(os.Environ(), "VCENTER_", "MCP_", "GOMEMLIMIT=", "GOGC="),
		"VCENTER_HOST="+sim.URL.Host, "VCENTER_USER="+sim.User, "VCENTER_PASSWORD="+sim.Password, "VCENTER_CA_FILE="+sim.CAFile,
		"VCENTER_MAX_CONCURRENCY="+strconv.Itoa(o.MaxConcurrency),
		"MCP_LISTEN=127.0.0.1:0", "MCP_LOG_LEVEL=INFO")
	if o.GoMemLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+o.GoMemLimit)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server %s: %w", bin, err)
	}
	p := &serverProc{cmd: cmd, done: make(chan struct{})}
	url := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			line := s.Text()
			if m := servingURL.FindStringSubmatch(line); m != nil {
				select {
				case url <- m[1]:
				default:
				}
			}
			p.mu.Lock()
			p.tail = append(p.tail[max(0, len(p.tail)-19):], line)
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case u := <-url:
		p.endpoint = u
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("the server stopped before serving (%v): %s", p.waitErr, p.lastLines())
	case <-t.C:
		p.stop()
		return nil, fmt.Errorf("the server did not serve within a minute: %s", p.lastLines())
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

func (p *serverProc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// memory reads the server process's resident set now and its peak so far.
func (p *serverProc) memory() memSample {
	return memSample{RSS: procStatusBytes(p.cmd.Process.Pid, "VmRSS"), PeakRSS: procStatusBytes(p.cmd.Process.Pid, "VmHWM")}
}

// stop ends the server gracefully (its long polls on the simulator end with
// it), or kills it after 15 seconds.
func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// envWithout drops the variables with any of the prefixes, so that the
// caller's own configuration (of the server, or of its Go runtime) cannot
// change what is measured.
func envWithout(env []string, prefixes ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
