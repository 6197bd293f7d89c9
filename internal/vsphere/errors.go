package vsphere

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// describeConnectError turns a failure to reach the SDK endpoint into one line
// that says what to do about it.
func describeConnectError(host string, err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		opErr    *net.OpError
		dnsErr   *net.DNSError
	)
	switch {
	case soap.IsCertificateUntrusted(err), errors.As(err, &unknown), errors.As(err, &invalid),
		errors.As(err, &hostname), errors.As(err, &verify):
		return &connectError{fmt.Sprintf("TLS verification of vCenter %s failed (%s): set ca_file to the CA bundle that signed its certificate, or insecure: true for a lab", host, tlsReason(err)), err}
	case errors.As(err, &dnsErr):
		return &connectError{fmt.Sprintf("cannot reach vCenter at %s: host name %q does not resolve", host, dnsErr.Name), err}
	case errors.As(err, &opErr):
		return &connectError{fmt.Sprintf("cannot reach vCenter at %s: %v", host, opErr.Err), err}
	}
	return fmt.Errorf("connecting to vCenter at %s: %w", host, err)
}

// connectError is a one-line message for the administrator that keeps the
// original error in its chain, so that callers (and ClientError) can still
// recognise a transport failure.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

func tlsReason(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &hostname):
		return "certificate is not valid for this host name"
	case errors.As(err, &invalid):
		return "certificate is invalid or expired"
	case errors.As(err, &unknown):
		return "certificate signed by an unknown authority"
	}
	return "certificate not trusted"
}

// describeLoginError names the user (never the password) and what to check.
func describeLoginError(host, user string, err error) error {
	if fault.Is(err, &types.InvalidLogin{}) {
		return fmt.Errorf("vCenter at %s rejected the login of user %q: check vcenter_user and vcenter_password", host, user)
	}
	if fault.Is(err, &types.NoPermission{}) {
		return fmt.Errorf("user %q may not log in to vCenter at %s: %w", user, host, err)
	}
	return describeConnectError(host, err)
}
