package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestConcurrentWritesAreWholeLines: 20 writers, 50 lines each, with long
// arguments: every line arrives whole, once.
func TestConcurrentWritesAreWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 8000)
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				l.Write(Event{Event: EventCall, Key: "k", Tool: "power_on_vm", Outcome: OutcomeOK,
					Arguments: map[string]any{"name": fmt.Sprintf("w%d-%d", w, i), "pad": long}})
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 1000 {
		t.Fatalf("%d lines, want 1000", len(lines))
	}
	seen := map[string]bool{}
	for _, m := range lines {
		name := m["arguments"].(map[string]any)["name"].(string)
		if seen[name] {
			t.Errorf("line for %s written twice", name)
		}
		seen[name] = true
		ts, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		if err != nil || ts.Location() != time.UTC || !strings.HasSuffix(m["time"].(string), "Z") || len(m["time"].(string)) != len("2006-01-02T15:04:05.000Z") {
			t.Errorf("time %q is not UTC RFC 3339 with milliseconds", m["time"])
		}
	}
	if l.Failures() != 0 {
		t.Errorf("%d failures", l.Failures())
	}
}

// TestReopenAfterRotation: after the file is renamed, Reopen starts a new
// file at the configured path; lines before and after land in one each.
func TestReopenAfterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write(Event{Tool: "before", Outcome: OutcomeOK})
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Write(Event{Tool: "still-old", Outcome: OutcomeOK})
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Write(Event{Tool: "after", Outcome: OutcomeOK})
	old, cur := readLines(t, path+".1"), readLines(t, path)
	if len(old) != 2 || old[0]["tool"] != "before" || old[1]["tool"] != "still-old" {
		t.Errorf("rotated file: %v", old)
	}
	if len(cur) != 1 || cur[0]["tool"] != "after" {
		t.Errorf("new file: %v", cur)
	}
}

// TestUnwritableAtStart: a file that cannot be opened is an error at Open.
func TestUnwritableAtStart(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(blocker, "audit.jsonl"), dir} {
		if l, err := Open(path, nil); err == nil {
			l.Close()
			t.Errorf("Open(%s) succeeded, want an error", path)
		} else if !strings.Contains(err.Error(), "audit_log") {
			t.Errorf("error %q does not name audit_log", err)
		}
	}
}

// TestFailedReopenKeepsWriting: when the new file cannot be opened the old
// one stays in use and the failure is counted.
func TestFailedReopenKeepsWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Rename(filepath.Join(dir, "sub"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	// The directory's place is taken by a file: reopening cannot create it.
	if err := os.WriteFile(filepath.Join(dir, "sub"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Fatal("Reopen succeeded, want an error")
	}
	if l.Failures() != 1 {
		t.Errorf("failures = %d, want 1", l.Failures())
	}
	l.Write(Event{Tool: "after", Outcome: OutcomeOK})
	if lines := readLines(t, filepath.Join(dir, "moved", "audit.jsonl")); len(lines) != 1 {
		t.Errorf("old file has %d lines, want 1", len(lines))
	}
}

func TestRedact(t *testing.T) {
	in := map[string]any{
		"name": "web-01", "admin_password": "hunter2", "spec": map[string]any{"token": "t", "cpus": 2.0},
		"list": []any{map[string]any{"apiKey": "k"}},
	}
	out := Redact(in)
	b, _ := json.Marshal(out)
	for _, secret := range []string{"hunter2", `"t"`, `"k"`} {
		if strings.Contains(string(b), secret) {
			t.Errorf("redacted arguments still hold %s: %s", secret, b)
		}
	}
	if out["name"] != "web-01" || out["spec"].(map[string]any)["cpus"] != 2.0 {
		t.Errorf("redaction removed plain arguments: %s", b)
	}
	if in["admin_password"] != "hunter2" {
		t.Error("Redact changed its input")
	}
}

// BenchmarkWrite measures one audited line, written and fsynced, alone and
// with concurrent writers (whose lines share a sync).
func BenchmarkWrite(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := Event{Event: EventCall, Key: "ops", Tool: "power_off_vm", Outcome: OutcomeOK, Arguments: map[string]any{"name": "web-01"}}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			l.Write(e)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(10)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Write(e)
			}
		})
	})
}

// TestWriteFailureIsCountedNotFatal: a line the file refuses (here a full
// device) is counted and logged; the writer answers and later lines are tried.
func TestWriteFailureIsCountedNotFatal(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	l, err := Open("/dev/full", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write(Event{Tool: "delete_vm", Outcome: OutcomeOK})
	l.Write(Event{Tool: "delete_vm", Outcome: OutcomeOK})
	if l.Failures() != 2 {
		t.Errorf("failures = %d, want 2", l.Failures())
	}
}
