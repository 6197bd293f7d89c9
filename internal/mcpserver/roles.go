package mcpserver

import (
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// roleAllows decides from a tool's annotations alone whether a role may see
// and call it: read gets the read-only tools, operate also the writes that
// destroy nothing, admin everything.
func roleAllows(role apikeys.Role, a *mcp.ToolAnnotations) bool {
	switch role {
	case apikeys.RoleRead:
		return a.ReadOnlyHint
	case apikeys.RoleOperate:
		return !isDestructive(a)
	}
	return true
}

// hiddenBecause says why a tool this server knows is not exposed to its
// sessions, or "" when it is exposed: the role first, then the modes.
func hiddenBecause(a *mcp.ToolAnnotations, opts Options) string {
	if !roleAllows(opts.role(), a) {
		return fmt.Sprintf("not allowed for role %s", opts.role())
	}
	if opts.ReadOnly && !a.ReadOnlyHint {
		return "hidden by read_only mode"
	}
	if opts.DisableDestructive && isDestructive(a) {
		return "hidden by disable_destructive mode"
	}
	return ""
}

func (o Options) role() apikeys.Role {
	if o.Role == "" {
		return apikeys.RoleAdmin
	}
	return o.Role
}
