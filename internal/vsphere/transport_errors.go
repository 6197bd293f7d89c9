package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/redact"
)

// A failure on the way to vCenter reads in Go as
//
//	Post "https://vc.internal:443/sdk": dial tcp 10.1.2.3:443: connect: connection refused
//
// naming hosts, addresses and URLs that a client has no use for and should not
// learn. Such errors are said in short words that say what to do instead; the
// detail stays in the error chain (Unwrap) for the server's log.

// ClientError returns what a client may see of err, and the transport error
// held back from it (nil when err names no transport failure). When err's text
// contains the transport error's, that part is replaced: what was being done
// stays ("retrieving the VM inventory: vCenter is unreachable (connection
// refused); ..."). A vSphere fault that no domain function has said in words
// yet ("...: ServerFaultCode: Permission to perform this operation was
// denied.") is said as describeFault says it, whichever path it came by; and
// no text that leaves here carries a vCenter session id or cookie. The caller
// logs detail.
func ClientError(err error) (public, detail error) {
	if err == nil {
		return nil, nil
	}
	public, detail = clientError(err)
	if text := redact.String(public.Error()); text != public.Error() {
		public = &scrubbedError{text: text, err: public}
	}
	return public, detail
}

func clientError(err error) (public, detail error) {
	cause := transportCause(err)
	if cause == nil && errors.Is(err, context.DeadlineExceeded) {
		cause = context.DeadlineExceeded
	}
	if cause == nil {
		return describeRawFault(err), nil
	}
	msg, raw := err.Error(), cause.Error()
	i := strings.Index(msg, raw)
	if i < 0 {
		return err, cause // already in words (describeFault)
	}
	return &FaultError{What: strings.TrimSuffix(msg[:i], ": "), Reason: transportReason(cause), err: err}, cause
}

// describeRawFault says a vSphere fault still in its SOAP words as
// describeFault does, keeping what was being done (the text before the
// fault's own); other errors, and faults already in words, are returned as
// they are.
func describeRawFault(err error) error {
	var described *FaultError
	if errors.As(err, &described) {
		return err
	}
	raw := faultCarrier(err)
	if raw == nil {
		return err
	}
	reason, ok := faultReason(err)
	if !ok {
		return err
	}
	msg, rawText := err.Error(), raw.Error()
	i := strings.Index(msg, rawText)
	if i < 0 {
		return err // the text already says the fault in its own words
	}
	what := strings.TrimSuffix(strings.TrimSuffix(msg[:i], " "), ":")
	inWords := &FaultError{What: what, Reason: reason, err: err}
	if rest := msg[i+len(rawText):]; rest != "" {
		// Keep what the text says after the fault (an undo's outcome, advice).
		return &scrubbedError{text: redact.String(inWords.Error() + rest), err: err}
	}
	return inWords
}

// faultCarrier is the innermost error of err's chain that still carries a
// vSphere fault: the SOAP fault or task error whose text is vSphere's own.
func faultCarrier(err error) error {
	var f types.BaseMethodFault
	if _, ok := fault.As(err, &f); !ok {
		return nil
	}
	e := err
	for {
		next := errors.Unwrap(e)
		if next == nil {
			return e
		}
		if _, ok := fault.As(next, &f); !ok {
			return e
		}
		e = next
	}
}

// scrubbedError is an error whose text had session material removed; the
// original stays in the chain for errors.As and the (scrubbing) log.
type scrubbedError struct {
	text string
	err  error
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

// transportCause is the outermost error in err's chain that comes from the
// network, TLS or a timeout rather than from vSphere, or nil.
func transportCause(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e.(type) {
		case *url.Error, *net.OpError, *net.DNSError, *net.AddrError,
			x509.UnknownAuthorityError, x509.HostnameError, x509.CertificateInvalidError,
			*tls.CertificateVerificationError, tls.RecordHeaderError:
			return e
		}
		if ne, ok := e.(net.Error); ok && ne.Timeout() {
			return e
		}
	}
	return nil
}

// transportReason says a transport failure in words that name no host,
// address or URL, and say what to do.
func transportReason(cause error) string {
	const retry = "; check the server's network and try again"
	var (
		dnsErr   *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		netErr   net.Error
		urlErr   *url.Error
	)
	switch {
	case errors.Is(cause, context.DeadlineExceeded), errors.Is(cause, os.ErrDeadlineExceeded),
		errors.As(cause, &netErr) && netErr.Timeout():
		return "vCenter did not answer in time; try again"
	case errors.Is(cause, context.Canceled):
		return "the request was cancelled before vCenter answered"
	case errors.As(cause, &dnsErr):
		return "vCenter is unreachable (its host name does not resolve)" + retry
	case errors.As(cause, &unknown), errors.As(cause, &hostname), errors.As(cause, &invalid),
		errors.As(cause, &verify), errors.As(cause, &record):
		return "the TLS connection to vCenter failed (its certificate is not trusted); the server's administrator should check ca_file"
	case errors.Is(cause, syscall.ECONNREFUSED):
		return "vCenter is unreachable (connection refused)" + retry
	case errors.Is(cause, syscall.ECONNRESET), errors.Is(cause, syscall.EPIPE):
		return "vCenter is unreachable (connection reset)" + retry
	case errors.Is(cause, syscall.EHOSTUNREACH), errors.Is(cause, syscall.ENETUNREACH):
		return "vCenter is unreachable (no route to it)" + retry
	case errors.Is(cause, io.EOF), errors.Is(cause, io.ErrUnexpectedEOF):
		return "vCenter closed the connection before answering" + retry
	case errors.As(cause, &urlErr) && httpStatus(urlErr.Err.Error()):
		return "vCenter answered HTTP " + urlErr.Err.Error() + "; try again later"
	}
	return "vCenter is unreachable" + retry
}

// httpStatus reports whether s is an HTTP status line such as "503 Service Unavailable".
func httpStatus(s string) bool {
	if len(s) < 4 || s[3] != ' ' {
		return false
	}
	for _, c := range s[:3] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
