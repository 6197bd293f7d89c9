package vsphere

import (
	"testing"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
)

// TestSOAPMethodName: the metric label is the API method, never an object.
func TestSOAPMethodName(t *testing.T) {
	tests := []struct {
		req  soap.HasFault
		want string
	}{
		{&methods.RetrievePropertiesExBody{}, "RetrievePropertiesEx"},
		{&methods.LoginBody{}, "Login"},
		{&methods.PowerOnVM_TaskBody{}, "PowerOnVM_Task"},
		{&methods.CurrentTimeBody{}, "CurrentTime"},
		{nil, "unknown"},
	}
	for _, tt := range tests {
		if got := soapMethodName(tt.req); got != tt.want {
			t.Errorf("%T: %q, want %q", tt.req, got, tt.want)
		}
	}
}
