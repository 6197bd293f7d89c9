package mcpserver

// lifecycleTools are the VM lifecycle tools (get, create, clone, delete, power).
func (h *handlers) lifecycleTools() ([]toolDef, error) {
	return nil, nil
}
