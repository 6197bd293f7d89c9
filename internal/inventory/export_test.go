package inventory

import (
	"context"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"
)

// Reread reads some objects again, as after changes to items of their lists.
func (m *Mirror) Reread(ctx context.Context, refs ...types.ManagedObjectReference) error {
	return m.reread(ctx, property.DefaultCollector(m.vim), refs)
}

// ApplyContent applies retrieved objects, as a fill or a re-read does.
func (m *Mirror) ApplyContent(objects ...types.ObjectContent) {
	m.applyContent(objects, map[string]struct{}{})
}

// LongWaitInFlight reports whether the update loop has started a long
// WaitForUpdatesEx (one that only a change, a cancel or MaxWait ends).
func (m *Mirror) LongWaitInFlight() bool {
	m.fence.mu.Lock()
	defer m.fence.mu.Unlock()
	return m.fence.longWait
}
