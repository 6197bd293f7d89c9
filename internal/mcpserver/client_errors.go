package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// hideTransportErrors keeps failures on the way to vCenter (network, TLS,
// timeouts), whose Go text names hosts, addresses and URLs, out of tool
// errors: the client reads vsphere.ClientError's words, the server's log the
// detail at WARN. It is also the one boundary where every tool error passes:
// a vSphere fault still in SOAP words (from any read or write path) is said
// in words, and no vCenter session id or cookie reaches the client. It works
// on the Go error a tool handler returned, so the decision rests on error
// types, never on matching text.
func hideTransportErrors(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			r, ok := res.(*mcp.CallToolResult)
			if !ok || r == nil || !r.IsError || r.GetError() == nil {
				return res, err
			}
			public, detail := vsphere.ClientError(r.GetError())
			tool := ""
			if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
				tool = p.Name
			}
			// The detail is logged even when the domain already said the
			// failure in words (describeFault): the text then needs no change,
			// but the address and the Go error are still only in the chain.
			if detail != nil {
				log.Warn("a tool failed on the way to vCenter; the client is told without the detail",
					"tool", tool, "error", r.GetError(), "detail", detail)
			}
			if public == r.GetError() {
				return res, err
			}
			if detail == nil {
				log.Info("a tool failed with a vSphere fault; the client is told in words", "tool", tool, "error", r.GetError())
			}
			r.Content = []mcp.Content{&mcp.TextContent{Text: public.Error()}}
			return r, err
		}
	}
}

// resourceError is what a client may see of a failed resource read. Domain
// errors (not found, ambiguous name, a vSphere fault said in words), vSphere
// faults still in SOAP words and transport failures (both in
// vsphere.ClientError's words) say what to do; any other error becomes a
// generic message. Every failure that reached vCenter is logged at WARN with
// what the client is not told (the transport detail, vSphere's fault text).
func (h *handlers) resourceError(uri string, err error) error {
	var (
		notFound  *vsphere.NotFoundError
		ambiguous *vsphere.AmbiguousError
		described *vsphere.FaultError
	)
	public, detail := vsphere.ClientError(err)
	switch {
	case errors.As(err, &notFound):
		return resourceNotFound(uri, notFound)
	case errors.As(err, &ambiguous):
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: ambiguous.Error()}
	case detail != nil:
		h.log.Warn("a resource read failed on the way to vCenter; the client is told without the detail", "uri", uri, "error", err, "detail", detail)
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("reading %s: %v", uri, public)}
	case errors.As(err, &described):
		// Said in words by the domain; vSphere's own text of the fault is
		// only in the chain, so the log keeps it.
		h.log.Warn("a resource read failed with a vSphere fault; the client is told in words", "uri", uri, "error", err, "fault", described.Unwrap())
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("reading %s: %v", uri, described)}
	case public != err:
		// A vSphere fault said in words by ClientError, or a text scrubbed of session material.
		h.log.Warn("a resource read failed; the client is told in words", "uri", uri, "error", err)
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("reading %s: %v", uri, public)}
	default:
		h.log.Warn("a resource read failed; the client gets a generic message", "uri", uri, "error", err)
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
			Message: fmt.Sprintf("reading %s failed on the server (the details are in its log); try again, or call get_vm_stats", uri)}
	}
}

// resourceNotFound is mcp.ResourceNotFoundError with the lookup's words
// (similar names included), as the tools answer.
func resourceNotFound(uri string, nf *vsphere.NotFoundError) error {
	werr := mcp.ResourceNotFoundError(uri).(*jsonrpc.Error)
	werr.Message = fmt.Sprintf("resource not found: %v", nf)
	return werr
}
