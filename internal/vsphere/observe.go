package vsphere

import (
	"context"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/vim25/soap"
)

// observeRoundTripper reports every SOAP request's method and outcome (for
// metrics). It sits below re-login, so a retried call counts twice and the
// login itself counts once.
type observeRoundTripper struct {
	next    soap.RoundTripper
	observe func(method string, err error)
}

func (o *observeRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	err := o.next.RoundTrip(ctx, req, res)
	o.observe(soapMethodName(req), err)
	return err
}

// soapMethodName is the vSphere API method of a request body, e.g.
// *methods.RetrievePropertiesExBody gives "RetrievePropertiesEx": a bounded
// set of names, never an object or its name.
func soapMethodName(req soap.HasFault) string {
	t := reflect.TypeOf(req)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "unknown"
	}
	return strings.TrimSuffix(t.Name(), "Body")
}
