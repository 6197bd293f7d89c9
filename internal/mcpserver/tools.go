package mcpserver

// tools returns every tool definition, in the order tools/list shows them.
// Each group lives in the file named for its domain.
func (h *handlers) tools() ([]toolDef, error) {
	var all []toolDef
	for _, group := range []func() ([]toolDef, error){
		h.vmListTools,
		h.lifecycleTools,
		h.taskTools,
		h.monitoringTools,
		h.day2Tools,
	} {
		defs, err := group()
		if err != nil {
			return nil, err
		}
		all = append(all, defs...)
	}
	return all, nil
}
