package vsphere

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// reloginRoundTripper retries a call once after logging in again when vCenter
// answers NotAuthenticated (the session expired or was terminated).
type reloginRoundTripper struct {
	next   soap.RoundTripper
	client *Client
}

func (r *reloginRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	seen := r.client.gen.Load()
	err := r.next.RoundTrip(ctx, req, res)
	if err == nil || !fault.Is(err, &types.NotAuthenticated{}) {
		return err
	}
	switch req.(type) {
	case *methods.LoginBody, *methods.LogoutBody:
		return err
	}
	if lerr := r.client.relogin(ctx, seen); lerr != nil {
		if ctx.Err() != nil {
			return ctx.Err() // this caller gave up; the shared re-login goes on
		}
		return r.client.reloginError(lerr)
	}
	// The failed response may have left its fault set; decode the retry into a clean value.
	if v := reflect.ValueOf(res); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
	return r.next.RoundTrip(ctx, req, res)
}

// reloginError is what a caller sees when the session expired and logging in
// again failed: words that name neither vCenter's host nor the account (the
// detail, with both, is logged for the administrator).
func (c *Client) reloginError(err error) error {
	detail := describeLoginError(c.host, c.user.Username(), err)
	c.log.Warn("a request failed because the vSphere session could not be re-established", "error", detail)
	reason := "vCenter did not accept a new login"
	switch {
	case isCredentialFault(err):
		reason = "vCenter rejected the server's credentials; the administrator must check vcenter_user and vcenter_password"
	case transportCause(err) != nil || errors.Is(err, context.DeadlineExceeded):
		reason = transportReason(transportCauseOr(err))
	}
	var backoff *backoffError
	if errors.As(err, &backoff) {
		reason += fmt.Sprintf("; not trying again for %s, to avoid locking the account", backoff.left.Round(time.Second))
	}
	return &FaultError{What: "the vSphere session expired and logging in again failed", Reason: reason, err: err}
}

// transportCauseOr is the transport error in err's chain, or err itself (a timeout).
func transportCauseOr(err error) error {
	if cause := transportCause(err); cause != nil {
		return cause
	}
	return err
}
