package simulator

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// observeSOAP routes SOAP POSTs through a handler that reads each request's
// method (the first element inside the SOAP Body) and the object it is called
// on before serving it: it reports the method to on and the whole body to
// onBody (either may be nil), and makes a cancel hold (see cancels.honour).
// wrap, when set, wraps that handler (to meter requests or hold some back).
// The method-qualified pattern is more specific than the simulator's own "/sdk".
func observeSOAP(m *simulator.Model, on func(method string), onBody func(method string, body []byte), c *cancels, wrap func(http.Handler) http.Handler, after func(method string, this types.ManagedObjectReference), delays *methodDelays) {
	svc := m.Service
	if svc.ServeMux == nil {
		svc.ServeMux = http.NewServeMux()
	}
	h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var method string
		var this types.ManagedObjectReference
		if err == nil {
			method, this = soapCall(body)
			if on != nil {
				on(method)
			}
			if onBody != nil {
				onBody(method, body)
			}
			if method == "CancelTask" && this.Type == "Task" {
				c.honour(this)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		delays.wait(method)
		func() {
			defer lockHostForDatastoreAdd(m, method, this)()
			svc.ServeSDK(w, r)
		}()
		if after != nil {
			after(method, this)
		}
	}))
	if wrap != nil {
		h = wrap(h)
	}
	svc.ServeMux.Handle("POST /sdk", h)
}

// RequestMethod returns the SOAP method of a request to /sdk (e.g.
// "RetrievePropertiesEx") and leaves its body to be read again.
func RequestMethod(r *http.Request) string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return "unknown"
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	method, _ := soapCall(body)
	return method
}

// soapCall returns a SOAP request's method and the object it is called on (_this).
func soapCall(body []byte) (string, types.ManagedObjectReference) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	method, inBody := "unknown", false
	var this types.ManagedObjectReference
	for {
		tok, err := dec.Token()
		if err != nil {
			return method, this
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case inBody && method == "unknown":
			method = se.Name.Local
		case method != "unknown" && se.Name.Local == "_this":
			for _, a := range se.Attr {
				if a.Name.Local == "type" {
					this.Type = a.Value
				}
			}
			var v string
			if dec.DecodeElement(&v, &se) == nil {
				this.Value = v
			}
			return method, this
		default:
			inBody = inBody || se.Name.Local == "Body"
		}
	}
}

// methodDelays slow chosen SOAP methods down, like the model's
// DelayConfig.MethodDelay, but safe to change while requests are served: the
// model reads its map without a lock, and the server's inventory mirror keeps
// requests flowing at all times.
type methodDelays struct {
	mu    sync.Mutex
	d     map[string]time.Duration
	every time.Duration // added to every request (DelayEvery)
}

func (m *methodDelays) wait(method string) {
	m.mu.Lock()
	d := m.d[method] + m.every
	m.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

// DelayEvery makes every later SOAP request wait d before it is served (on
// top of DelayMethod's), like the model's DelayConfig.Delay but safe to
// change while requests are served; 0 removes it.
func (s *Simulator) DelayEvery(d time.Duration) {
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	s.delays.every = d
}

// DelayMethod makes every later request of a SOAP method (e.g.
// "CreateVM_Task", "Login") wait d before it is served; 0 removes the delay.
// Safe while the simulator serves requests.
func (s *Simulator) DelayMethod(method string, d time.Duration) {
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	if s.delays.d == nil {
		s.delays.d = map[string]time.Duration{}
	}
	s.delays.d[method] = d
}
