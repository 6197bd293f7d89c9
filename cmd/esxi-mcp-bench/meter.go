package main

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"sync"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// soapCount is SOAP traffic seen at the simulator.
type soapCount struct {
	Requests int64
	Bytes    int64 // request and response bodies
}

func (c soapCount) minus(d soapCount) soapCount {
	return soapCount{Requests: c.Requests - d.Requests, Bytes: c.Bytes - d.Bytes}
}

// meter counts every SOAP request the simulator serves, by method, with the
// bytes of its request and response. It wraps the simulator's SOAP handler.
type meter struct {
	mu       sync.Mutex
	total    soapCount
	byMethod map[string]soapCount
}

func newMeter() *meter { return &meter{byMethod: map[string]soapCount{}} }

func (m *meter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		method := simulator.RequestMethod(r)
		cw := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		m.add(method, soapCount{Requests: 1, Bytes: int64(len(body)) + cw.n})
	})
}

func (m *meter) add(method string, c soapCount) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total.Requests += c.Requests
	m.total.Bytes += c.Bytes
	b := m.byMethod[method]
	b.Requests += c.Requests
	b.Bytes += c.Bytes
	m.byMethod[method] = b
}

// snapshot returns the traffic so far.
func (m *meter) snapshot() soapCount {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// byMethodSnapshot returns the traffic so far by SOAP method.
func (m *meter) byMethodSnapshot() map[string]soapCount {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.byMethod)
}
