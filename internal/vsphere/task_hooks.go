package vsphere

import (
	"context"

	"github.com/vmware/govmomi/vim25/types"
)

// afterTask runs once a vSphere task this server started has succeeded, before
// the tool answers. It is the seam for read-your-writes: whatever caches the
// inventory must have seen the task's effect before the next call reads it.
func (c *Client) afterTask(ctx context.Context, info *types.TaskInfo) {}
