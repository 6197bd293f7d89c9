package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	sessionID = "session[d781f97a-1c2b-4e5d-8f90-a1b2c3d4e5f6]16d86454-aaaa-bbbb-cccc-ddddeeeeffff"
	cookie    = `vmware_soap_session="b1e2c3d4e5f6a7b8c9d0"`
)

type stringer struct{}

func (stringer) String() string { return "collector " + sessionID }

// TestLoggerScrubsSessions: the process logger, as New builds it, writes no
// session id or session cookie, wherever it appears in a record: the message,
// string, error and Stringer attributes, groups, and attributes added with With.
func TestLoggerScrubsSessions(t *testing.T) {
	var buf bytes.Buffer
	log, closer, err := New("debug", "", &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closer.Close() }()
	wrapped := fmt.Errorf("waiting for task-7: %w", errors.New("The object 'vim.Task:"+sessionID+"' has already been deleted"))
	log.With("cookie", cookie).Warn("relogin after "+sessionID,
		"error", wrapped,
		"collector", stringer{},
		slog.Group("soap", "header", "Cookie: "+cookie, "count", 3),
		"vm", "vm-42",
	)
	out := buf.String()
	for _, secret := range []string{"d781f97a", "16d86454", "b1e2c3d4e5f6a7b8c9d0"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line keeps %s:\n%s", secret, out)
		}
	}
	for _, keep := range []string{"relogin after session[redacted]", "waiting for task-7", "vm=vm-42", "soap.count=3", "collector="} {
		if !strings.Contains(out, keep) {
			t.Errorf("log line lost %q:\n%s", keep, out)
		}
	}
}
