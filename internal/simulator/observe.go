package simulator

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"

	"github.com/vmware/govmomi/simulator"
)

// routeSOAP serves SOAP POSTs through a handler that reports each request's
// method (the first element inside the SOAP Body) before serving it, inside
// wrap when set. The method-qualified pattern is more specific than the
// simulator's own "/sdk".
func routeSOAP(svc *simulator.Service, on func(method string), wrap func(http.Handler) http.Handler) {
	if svc.ServeMux == nil {
		svc.ServeMux = http.NewServeMux()
	}
	h := http.Handler(http.HandlerFunc(svc.ServeSDK))
	if on != nil {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			on(RequestMethod(r))
			next.ServeHTTP(w, r)
		})
	}
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
	return soapMethod(body)
}

func soapMethod(body []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "unknown"
		}
		if se, ok := tok.(xml.StartElement); ok {
			if inBody {
				return se.Name.Local
			}
			inBody = se.Name.Local == "Body"
		}
	}
}
