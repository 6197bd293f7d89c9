package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartupFailureIsOneLine: a failure to start is one "esxi-mcp-server:
// <error>" line on stderr, not a log record; with log_file set the file holds
// the record as well, and stderr nothing else.
func TestStartupFailureIsOneLine(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := closed.Addr().String()
	closed.Close()
	logFile := filepath.Join(t.TempDir(), "server.log")
	tests := []struct {
		name    string
		args    []string
		logFile string
	}{
		{"logging to stderr", nil, ""},
		{"logging to a file", []string{"--log-file", logFile}, logFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"--transport", "stdio"}, tt.args...)...)
			cmd.Env = append(os.Environ(), "VCENTER_HOST="+dead, "VCENTER_USER=u", "VCENTER_PASSWORD=pw")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Stdin = strings.NewReader("")
			if err := cmd.Run(); err == nil {
				t.Fatal("the server started against a dead vCenter")
			}
			var failures []string
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			for _, l := range lines {
				if strings.HasPrefix(l, "esxi-mcp-server: ") {
					failures = append(failures, l)
				}
				if strings.Contains(l, "level=ERROR") {
					t.Errorf("stderr has an ERROR log record: %s", l)
				}
			}
			want := "esxi-mcp-server: cannot reach vCenter at " + dead
			if len(failures) != 1 || !strings.HasPrefix(failures[0], want) {
				t.Errorf("want one line starting %q on stderr, got:\n%s", want, stderr.String())
			}
			if tt.logFile == "" {
				return
			}
			if len(lines) != 1 {
				t.Errorf("with a log file, stderr should hold only the failure, got:\n%s", stderr.String())
			}
			logged, err := os.ReadFile(tt.logFile)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(logged), `level=ERROR msg="server stopped"`) || !strings.Contains(string(logged), dead) {
				t.Errorf("log file lacks the failure record:\n%s", logged)
			}
		})
	}
}
