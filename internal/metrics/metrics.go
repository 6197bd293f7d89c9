// Package metrics holds the server's Prometheus metrics and serves them at
// /metrics. Labels carry only bounded values (tool names, outcomes, status
// codes, SOAP method names): never VM names or other inventory data.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the server.
const Namespace = "esxi_mcp"

// Tool call outcomes.
const (
	OutcomeOK        = "ok"         // the tool answered
	OutcomeToolError = "tool_error" // the tool answered with isError (bad input, vSphere refused, ...)
	OutcomeError     = "error"      // a protocol error (unknown tool, cancelled, ...)
	OutcomeBusy      = "busy"       // refused: max_concurrent_calls reached for too long
)

// Metrics is the server's registry. Its methods are safe for concurrent use;
// a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	toolCalls    *prometheus.CounterVec
	toolDuration *prometheus.HistogramVec
	inFlight     prometheus.Gauge
	httpRequests *prometheus.CounterVec
	vcRequests   *prometheus.CounterVec
	relogins     prometheus.Counter
}

// New creates the registry with the Go and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "tool_calls_total",
			Help: "MCP tool calls by tool and outcome (ok, tool_error, error, busy).",
		}, []string{"tool", "outcome"}),
		toolDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "tool_call_duration_seconds",
			Help:    "Duration of MCP tool calls, by tool.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"tool"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "calls_in_flight",
			Help: "MCP tool calls running now.",
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP responses by status code (401: a missing or wrong API key; 503: a cap reached).",
		}, []string{"code"}),
		vcRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "vcenter_requests_total",
			Help: "SOAP requests to vCenter by method and outcome (ok or error).",
		}, []string{"method", "outcome"}),
		relogins: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "vcenter_relogins_total",
			Help: "Logins to vCenter after the session expired.",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.toolCalls, m.toolDuration, m.inFlight, m.httpRequests, m.vcRequests, m.relogins,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ToolCallStarted counts a call in flight; the returned func records its end
// (tool must be a registered tool's name, or "unknown").
func (m *Metrics) ToolCallStarted() (done func(tool, outcome string)) {
	if m == nil {
		return func(string, string) {}
	}
	start := time.Now()
	m.inFlight.Inc()
	return func(tool, outcome string) {
		m.inFlight.Dec()
		m.toolCalls.WithLabelValues(tool, outcome).Inc()
		m.toolDuration.WithLabelValues(tool).Observe(time.Since(start).Seconds())
	}
}

// HTTPResponse counts one HTTP response by status code.
func (m *Metrics) HTTPResponse(code int) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(strconv.Itoa(code)).Inc()
}

// VCenterRequest counts one SOAP request to vCenter.
func (m *Metrics) VCenterRequest(method string, err error) {
	if m == nil {
		return
	}
	outcome := OutcomeOK
	if err != nil {
		outcome = OutcomeError
	}
	m.vcRequests.WithLabelValues(method, outcome).Inc()
}

// Relogin counts one re-login to vCenter.
func (m *Metrics) Relogin() {
	if m == nil {
		return
	}
	m.relogins.Inc()
}

// RegisterGaugeFunc adds a gauge read from f at every scrape, e.g. the
// number of live sessions or, from the inventory mirror, its age and object
// counts. name is prefixed with the namespace ("sessions" becomes
// esxi_mcp_sessions). A name registered twice is an error.
func (m *Metrics) RegisterGaugeFunc(name, help string, f func() float64) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: name, Help: help,
	}, f))
}

// RegisterCounterFunc adds a counter read from f at every scrape (a total the
// code already keeps, e.g. the audit log's failed writes).
func (m *Metrics) RegisterCounterFunc(name, help string, f func() float64) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: Namespace, Name: name, Help: help,
	}, f))
}
