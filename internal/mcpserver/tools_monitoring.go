package mcpserver

// monitoringTools are the statistics and placement-inventory tools.
func (h *handlers) monitoringTools() ([]toolDef, error) {
	return nil, nil
}
