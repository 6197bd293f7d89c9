package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// leaks are what a client must never see of a transport failure.
var leaks = []string{"vc.internal", "10.1.2.3", "https", "/sdk", "dial", "Post", "POST", "tcp", "connect:"}

// TestClientErrorHidesTransportDetail: failures on the way to vCenter, as
// net/http reports them, reach a client as short words that say what to do,
// after what was being done; hosts, addresses and URLs stay on the server.
func TestClientErrorHidesTransportDetail(t *testing.T) {
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://vc.internal:443/sdk", Err: err} }
	dial := func(err error) error {
		return post(&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 443}, Err: err})
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "vCenter is unreachable (connection refused); check the server's network and try again"},
		{"no route", dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "vCenter is unreachable (no route to it)"},
		{"reset", post(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), "vCenter is unreachable (connection reset)"},
		{"dns", dial(&net.DNSError{Err: "no such host", Name: "vc.internal", IsNotFound: true}), "its host name does not resolve"},
		{"tls", post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "TLS connection to vCenter failed"},
		{"request deadline", post(context.DeadlineExceeded), "vCenter did not answer in time; try again"},
		{"socket timeout", post(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), "vCenter did not answer in time; try again"},
		{"bare deadline", context.DeadlineExceeded, "vCenter did not answer in time; try again"},
		{"closed", post(io.EOF), "vCenter closed the connection before answering"},
		{"http status", &url.Error{Op: "POST", URL: "/sdk", Err: errors.New("503 Service Unavailable")}, "vCenter answered HTTP 503 Service Unavailable; try again later"},
		{"unknown", post(errors.New("something odd")), "vCenter is unreachable; check the server's network and try again"},
	}
	const what = "retrieving the VM inventory"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for how, got := range map[string]func() (error, error){
				"wrapped by our code": func() (error, error) { return ClientError(fmt.Errorf("%s: %w", what, c.err)) },
				"described":           func() (error, error) { return ClientError(describeFault(what, c.err)) },
			} {
				public, detail := got()
				if detail == nil {
					t.Errorf("%s: no detail held back for %v", how, c.err)
				}
				msg := public.Error()
				if !strings.HasPrefix(msg, what+": ") || !strings.Contains(msg, c.want) {
					t.Errorf("%s: %q, want %q after %q", how, msg, c.want, what)
				}
				for _, leak := range leaks {
					if strings.Contains(msg, leak) {
						t.Errorf("%s: %q reveals %q", how, msg, leak)
					}
				}
				if !errors.Is(public, c.err) {
					t.Errorf("%s: the original error is not in the chain of %q", how, msg)
				}
			}
		})
	}
}

// TestClientErrorKeepsDomainErrors: errors that are not transport failures
// reach the client as they are, with nothing to log.
func TestClientErrorKeepsDomainErrors(t *testing.T) {
	for _, err := range []error{
		&NotFoundError{Kind: "VM", Ref: "web-01"},
		describeFault("powering on VM vm-7", asMethodError(&types.InvalidPowerState{ExistingState: "poweredOn"})),
		fmt.Errorf("cpu must be between 1 and 128, got 0"),
		&CancelledError{What: "cloning VM a to b", Task: "task-1", Accepted: true},
	} {
		public, detail := ClientError(err)
		if public != err || detail != nil {
			t.Errorf("ClientError(%q) = %v, %v; want it unchanged, nothing held back", err, public, detail)
		}
	}
}
