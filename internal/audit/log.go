package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// WriteTimeout bounds how long a tool call waits for its audit line: past it
// the line is reported as lost and the call goes on (a hung disk must not hang
// every mutating call).
const WriteTimeout = 5 * time.Second

// Log is an open audit file. Lines reach the file through one writer
// goroutine, so concurrent calls never interleave; each Write returns once its
// line is written and synced, or has failed, or WriteTimeout has passed.
//
// Every batch of lines is fsynced: an audit line is written for calls that
// change vSphere (seconds of vCenter work each), so one fsync per batch costs
// little next to them, and a record that a VM was deleted survives a crash
// of the host right after the answer.
type Log struct {
	path     string
	log      *slog.Logger
	requests chan request
	done     chan struct{}
	failures atomic.Uint64
	closed   atomic.Bool
	now      func() time.Time
}

type request struct {
	line   []byte // nil: reopen the file (or stop, with stop set)
	stop   bool
	result chan error
}

// Open creates the file's directory if needed and opens the file for
// appending; an error means the server must not start.
func Open(path string, log *slog.Logger) (*Log, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, log: log, requests: make(chan request, 256), done: make(chan struct{}), now: time.Now}
	go l.run(f)
	return l, nil
}

func openFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the directory of audit_log %s: %w", path, unwrap(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening audit_log %s: %w", path, unwrap(err))
	}
	return f, nil
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Path is the audit file's path.
func (l *Log) Path() string { return l.path }

// Failures counts audit lines that could not be written (and failed reopens).
func (l *Log) Failures() uint64 { return l.failures.Load() }

// Write appends e as one line. It fills e's time when zero. A failure is
// logged and counted, never returned: the call it records has already happened.
func (l *Log) Write(e Event) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.TimeText = e.Time.UTC().Format(timeLayout)
	line, err := json.Marshal(e)
	if err != nil {
		l.fail("encoding an audit line", err, e.Tool)
		return
	}
	if err := l.send(append(line, '\n')); err != nil {
		l.fail("writing an audit line", err, e.Tool)
	}
}

// Reopen closes and reopens the file (after log rotation renamed it). On
// failure the old file stays in use; the failure is logged, counted and returned.
func (l *Log) Reopen() error {
	if err := l.send(nil); err != nil {
		l.fail("reopening the audit log", err, "")
		return err
	}
	return nil
}

func (l *Log) send(line []byte) error {
	if l.closed.Load() {
		return errors.New("the audit log is closed")
	}
	r := request{line: line, result: make(chan error, 1)}
	timer := time.NewTimer(WriteTimeout)
	defer timer.Stop()
	select {
	case l.requests <- r:
	case <-timer.C:
		return fmt.Errorf("the audit file %s did not accept a line within %s", l.path, WriteTimeout)
	}
	select {
	case err := <-r.result:
		return err
	case <-timer.C:
		return fmt.Errorf("the audit file %s did not confirm a line within %s", l.path, WriteTimeout)
	}
}

func (l *Log) fail(what string, err error, tool string) {
	l.failures.Add(1)
	attrs := []any{"error", err, "audit_log", l.path, "failures", l.failures.Load()}
	if tool != "" {
		attrs = append(attrs, "tool", tool)
	}
	l.log.Error(what+" failed", attrs...)
}

// Close stops the writer once the lines already sent are written.
func (l *Log) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.requests <- request{stop: true, result: make(chan error, 1)}
	<-l.done
	return nil
}

// run owns the file: it writes each line with one write call, syncs once per
// batch of lines that arrived together, and answers every writer.
func (l *Log) run(f *os.File) {
	defer close(l.done)
	defer func() { _ = f.Close() }()
	for stop := false; !stop; {
		batch := []request{<-l.requests}
	drain:
		for len(batch) < cap(l.requests) {
			select {
			case r := <-l.requests:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		var written []request
		for _, r := range batch {
			if r.stop {
				stop = true
				continue
			}
			if r.line == nil {
				nf, err := openFile(l.path)
				if err == nil {
					err = f.Sync()
					_ = f.Close()
					f = nf
				}
				r.result <- err
				continue
			}
			if _, err := f.Write(r.line); err != nil {
				r.result <- err
				continue
			}
			written = append(written, r)
		}
		err := f.Sync()
		for _, r := range written {
			r.result <- err
		}
	}
}
