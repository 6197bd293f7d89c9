package simulator

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"

	"github.com/vmware/govmomi/simulator"
)

// observeSOAP routes SOAP POSTs through a handler that reports each request's
// method (the first element inside the SOAP Body), and to onBody the whole
// body too, before serving it. Either may be nil. The method-qualified
// pattern is more specific than the simulator's own "/sdk".
func observeSOAP(svc *simulator.Service, on func(method string), onBody func(method string, body []byte)) {
	if svc.ServeMux == nil {
		svc.ServeMux = http.NewServeMux()
	}
	svc.ServeMux.HandleFunc("POST /sdk", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			method := soapMethod(body)
			if on != nil {
				on(method)
			}
			if onBody != nil {
				onBody(method, body)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		svc.ServeSDK(w, r)
	})
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
