package vsphere

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// Every read of the inventory (lists, VM references, the stats target) is
// answered from the session's inventory mirror (internal/inventory): filled
// once when the server connects, kept current by vCenter's update stream, and
// shared by every MCP client. A list or a lookup makes no request to vCenter.

// mirrorFillWait bounds how long a read waits for the mirror's first fill.
const mirrorFillWait = 30 * time.Second

// fenceWait bounds how long a tool waits, after its task succeeded, for the
// mirror to show the task's effect (read-your-writes).
const fenceWait = 5 * time.Second

// startMirror starts the session's inventory mirror.
func (c *Client) startMirror(opts inventory.Options) {
	opts.Logger = c.log
	opts.Generation = c.gen.Load
	c.mirror = inventory.New(c.vim, opts)
	c.mirror.Start()
}

// stopMirror ends the mirror's update stream, bounded by ctx.
func (c *Client) stopMirror(ctx context.Context) {
	if c.mirror != nil {
		c.mirror.Stop(ctx)
	}
}

// Mirror exposes the session's inventory mirror (placement, statistics and tests read it).
func (c *Client) Mirror() *inventory.Mirror { return c.mirror }

// readMirror waits (bounded) for the mirror's first fill, then runs fn on it.
// A partial inventory is never presented as complete: until the fill ends,
// reads wait, and past the bound they fail with a message to try again.
func (c *Client) readMirror(ctx context.Context, fn func(v *inventory.View)) error {
	wctx, cancel := context.WithTimeout(ctx, mirrorFillWait)
	defer cancel()
	if err := c.mirror.WaitFilled(wctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if last := c.mirror.State().Err; last != nil {
			// Why the fill fails, in the same words as any other vSphere fault.
			return describeFault("reading vCenter's inventory", last)
		}
		return &FaultError{
			What:   "reading the inventory",
			Reason: "the server is still reading vCenter's inventory (it does so once, at start); try again in a few seconds",
			err:    err,
		}
	}
	c.mirror.Read(fn)
	return nil
}

// Freshness says how current an answer read from the inventory mirror is.
// Both fields are empty while the mirror receives vCenter's updates as they
// happen (changes show within about a second).
type Freshness struct {
	InventoryAgeSeconds float64 `json:"inventory_age_seconds,omitempty" jsonschema:"set only when the server is not receiving vCenter's inventory updates: how old, in seconds, the inventory this answer comes from is"`
	InventoryNote       string  `json:"inventory_note,omitempty" jsonschema:"why the inventory may be out of date, when it may be"`
}

// freshness describes the mirror's state for an answer.
func (c *Client) freshness() Freshness {
	st := c.mirror.State()
	if st.Live || !st.Filled {
		return Freshness{}
	}
	age := math.Round(st.Age.Seconds()*10) / 10
	return Freshness{
		InventoryAgeSeconds: age,
		InventoryNote: fmt.Sprintf("the connection to vCenter's inventory updates is interrupted (the server is reconnecting); "+
			"this answer reflects vCenter as of %.0f seconds ago", age),
	}
}

// Ready reports whether the server can answer: the inventory mirror has been
// filled and is not stale beyond its bound. It makes no request to vCenter,
// so /readyz may be called as often as a prober likes.
func (c *Client) Ready(ctx context.Context) error {
	if err := c.mirror.Ready(); err != nil {
		if errors.Is(err, inventory.ErrNotFilled) {
			return errors.New("the inventory is still being read from vCenter")
		}
		return fmt.Errorf("the inventory is out of date: %w", err)
	}
	return nil
}

// namesFromMirror answers from the inventory mirror the names of
// datastores and networks, and the port group keys and opaque network ids NIC
// backings refer to, with no request to vCenter.
func (c *Client) namesFromMirror(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, networkNames, error) {
	nets := networkNames{byRef: map[types.ManagedObjectReference]string{}, byPGKey: map[string]string{}, byOpaque: map[string]string{}}
	names := map[types.ManagedObjectReference]string{}
	err := c.readMirror(ctx, func(v *inventory.View) {
		for _, r := range refs {
			if ds := v.Datastore(r.Value); ds != nil {
				names[r] = ds.Name
				continue
			}
			n := v.Network(r.Value)
			if n == nil {
				continue
			}
			names[r], nets.byRef[r] = n.Name, n.Name
			if n.Key != "" {
				nets.byPGKey[n.Key] = n.Name
			}
			if n.OpaqueID != "" {
				nets.byOpaque[n.OpaqueID] = n.Name
			}
		}
	})
	return names, nets, err
}
