package inventory

// LongWaitInFlight reports whether the update loop has started a long
// WaitForUpdatesEx (one that only a change, a cancel or MaxWait ends).
func (m *Mirror) LongWaitInFlight() bool {
	m.fence.mu.Lock()
	defer m.fence.mu.Unlock()
	return m.fence.longWait
}
