package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const vmStatsScheme = "vmstats://"

// addResources registers the resource templates.
func (h *handlers) addResources(s *mcp.Server) error {
	s.AddResourceTemplate(&mcp.ResourceTemplate{
		Name:        "vmstats",
		Title:       "VM performance statistics",
		URITemplate: vmStatsScheme + "{vm_name}",
		Description: "CPU, memory, storage, network and disk figures of one VM at its latest real-time sample, as JSON (the get_vm_stats tool without a window). " +
			"vm_name is the VM's name, inventory path, managed object id or UUID, URL-encoded (a space is %20, a slash %2F: vmstats://%2FDC0%2Fvm%2Fweb-01). " +
			"A VM that is not powered on has storage and null live sections.",
		MIMEType: "application/json",
	}, h.readVMStats)
	return nil
}

func (h *handlers) readVMStats(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	name, err := vmNameFromURI(uri)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
	}
	stats, err := h.vs.GetVMStats(ctx, name, 0)
	if err != nil {
		return nil, h.resourceError(uri, err)
	}
	body, err := json.Marshal(stats)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", uri, err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
		URI: uri, MIMEType: "application/json", Text: string(body),
	}}}, nil
}

// vmNameFromURI takes the VM reference out of vmstats://{vm_name}, undoing
// the URL encoding a client applies to spaces, slashes and other characters.
func vmNameFromURI(uri string) (string, error) {
	raw, ok := strings.CutPrefix(uri, vmStatsScheme)
	if !ok || raw == "" {
		return "", fmt.Errorf("%q is not a vmstats://{vm_name} URI", uri)
	}
	name, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("vm_name in %q is not validly URL-encoded: %v", uri, err)
	}
	return name, nil
}
