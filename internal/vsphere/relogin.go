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
		described := describeLoginError(r.client.host, r.client.user.Username(), lerr)
		var backoff *backoffError
		if errors.As(lerr, &backoff) {
			return fmt.Errorf("vSphere session expired and logging in again failed: %w; not trying again for %s, to avoid locking the account",
				described, backoff.left.Round(time.Second))
		}
		return fmt.Errorf("vSphere session expired and logging in again failed: %w", described)
	}
	// The failed response may have left its fault set; decode the retry into a clean value.
	if v := reflect.ValueOf(res); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
	return r.next.RoundTrip(ctx, req, res)
}
