package vsphere

import (
	"context"
	"errors"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// afterTask runs once a vSphere task this server started has succeeded, before
// the tool answers: it waits (at most fenceWait) until the inventory mirror
// has applied every change vCenter holds — the task's effect among them — so
// the next call of any client reads it (read-your-writes). When the mirror's
// update stream is broken there is nothing to wait for: answers then carry
// the mirror's age. (FindVM calls it too, before a mutation decides on a
// VM's state; info is then nil.)
func (c *Client) afterTask(ctx context.Context, info *types.TaskInfo) {
	if c.mirror == nil {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, fenceWait)
	defer cancel()
	if err := c.mirror.Fence(fctx); err != nil && !errors.Is(err, inventory.ErrNotLive) && ctx.Err() == nil {
		task := ""
		if info != nil {
			task = info.Task.Value
		}
		c.log.Warn("the inventory did not show a task's effect in time; the next read may not show it yet", "task", task, "error", err)
	}
}
