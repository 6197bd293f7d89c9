package mcpserver

import "github.com/modelcontextprotocol/go-sdk/mcp"

// addResources registers the resource templates.
func (h *handlers) addResources(s *mcp.Server) error {
	return nil
}
