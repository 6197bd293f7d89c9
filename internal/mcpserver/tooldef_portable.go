package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// portableHandler is the glue mcp.AddTool would put around a typed handler,
// made portable across clients: arguments are checked against the input
// schema first, with errors in words (checkArguments) instead of the
// validator's raw "validating /properties/memory: maximum: ..."; and the
// answer never holds a JSON null where the output schema says array
// (nonNilSlices).
func portableHandler[In, Out any](name string, in *jsonschema.Resolved, h mcp.ToolHandlerFor[In, Out]) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := checkArguments(in, req.Params.Arguments)
		if err != nil {
			return toolError(err), nil
		}
		var v In
		if err := json.Unmarshal(args, &v); err != nil {
			return toolError(fmt.Errorf("reading the arguments: %v", err)), nil
		}
		res, out, err := h(ctx, req, v)
		if err != nil {
			if wire, ok := err.(*jsonrpc.Error); ok {
				return nil, wire
			}
			return toolError(err), nil
		}
		if res == nil {
			res = &mcp.CallToolResult{}
		}
		if res.InputRequests != nil {
			return res, nil
		}
		b, err := json.Marshal(nonNilSlices(out))
		if err != nil {
			return nil, fmt.Errorf("encoding the answer of %s: %w", name, err)
		}
		res.StructuredContent = json.RawMessage(b)
		if res.Content == nil {
			// The text shares b's bytes rather than copying them: nothing
			// writes to b from here on, and a page of list_vms is 65 KB
			// that every call in flight would otherwise hold twice.
			res.Content = []mcp.Content{&mcp.TextContent{Text: unsafe.String(unsafe.SliceData(b), len(b))}}
		}
		return res, nil
	}
}

func toolError(err error) *mcp.CallToolResult {
	var res mcp.CallToolResult
	res.SetError(err)
	return &res
}

// portableSchema rewrites, in place, every ["null","array"] type (how Go
// slices come out of jsonschema.For) into a plain "array": strict clients
// warn about the union, and nonNilSlices keeps answers from holding null.
func portableSchema(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && slices.Contains(s.Types, "null") {
		other := s.Types[0]
		if other == "null" {
			other = s.Types[1]
		}
		if other == "array" {
			s.Type, s.Types = "array", nil
		}
	}
	for _, p := range s.Properties {
		portableSchema(p)
	}
	for _, d := range s.Defs {
		portableSchema(d)
	}
	for _, d := range s.Definitions {
		portableSchema(d)
	}
	portableSchema(s.Items)
	portableSchema(s.AdditionalProperties)
	for _, list := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf, s.AllOf, s.PrefixItems} {
		for _, x := range list {
			portableSchema(x)
		}
	}
}

// nonNilSlices returns v with every nil slice reachable through exported
// fields replaced by an empty one, so it marshals as [] and not null; a nil
// pointer becomes a pointer to the zero value (the SDK's convention).
func nonNilSlices[T any](v T) any {
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() == reflect.Pointer && rv.IsNil() && rv.Type().Elem().Kind() == reflect.Struct {
		rv.Set(reflect.New(rv.Type().Elem()))
	}
	fillSlices(rv)
	return v
}

func fillSlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fillSlices(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fillSlices(f)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() && v.Type().Elem().Kind() != reflect.Uint8 { // []byte marshals as a string
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := range v.Len() {
			fillSlices(v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			fillSlices(v.Index(i))
		}
	}
}
