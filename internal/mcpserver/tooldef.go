package mcpserver

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolDef is a tool's definition plus how to add it to a server, so that the
// modes and roles can filter on annotations before anything is registered,
// and destructive tools get the consent gate (see consent.go).
type toolDef struct {
	tool     *mcp.Tool
	register func(*mcp.Server, callGate)
}

// defineTool builds a typed tool. shape adjusts the input schema generated from
// In (bounds, enums, defaults) where struct tags cannot say it.
func defineTool[In, Out any](t *mcp.Tool, h mcp.ToolHandlerFor[In, Out], shape func(*shaper)) (toolDef, error) {
	in, err := jsonschema.For[In](nil)
	if err != nil {
		return toolDef{}, fmt.Errorf("input schema of tool %s: %w", t.Name, err)
	}
	if shape != nil {
		sh := &shaper{s: in}
		shape(sh)
		if sh.err != nil {
			return toolDef{}, fmt.Errorf("input schema of tool %s: %w", t.Name, sh.err)
		}
	}
	t.InputSchema = in
	// Outputs are returned as pointers; the schema must describe the object
	// itself (MCP requires outputSchema.type "object", not ["null","object"]).
	outType := reflect.TypeFor[Out]()
	if outType.Kind() == reflect.Pointer {
		outType = outType.Elem()
	}
	out, err := jsonschema.ForType(outType, nil)
	if err != nil {
		return toolDef{}, fmt.Errorf("output schema of tool %s: %w", t.Name, err)
	}
	t.OutputSchema = out
	if t.Annotations == nil || t.Annotations.ReadOnlyHint {
		register, err := portableRegister(t, in, out, h)
		if err != nil {
			return toolDef{}, err
		}
		return toolDef{tool: t, register: register}, nil
	}
	// A mutating tool may answer before its vSphere task ends (see taskRunning).
	running, err := jsonschema.For[taskRunning](nil)
	if err != nil {
		return toolDef{}, fmt.Errorf("output schema of tool %s: %w", t.Name, err)
	}
	either := &jsonschema.Schema{Type: "object", AnyOf: []*jsonschema.Schema{out, running}}
	t.OutputSchema = either
	register, err := portableRegister(t, in, either, answerRunning(h))
	if err != nil {
		return toolDef{}, err
	}
	return toolDef{tool: t, register: register}, nil
}

// portableRegister makes the schemas portable and registers the tool with
// the glue of portableHandler instead of mcp.AddTool's.
func portableRegister[In, Out any](t *mcp.Tool, in, out *jsonschema.Schema, h mcp.ToolHandlerFor[In, Out]) (func(*mcp.Server, callGate), error) {
	portableSchema(in)
	portableSchema(out)
	resolved, err := in.Resolve(nil)
	if err != nil {
		return nil, fmt.Errorf("input schema of tool %s: %w", t.Name, err)
	}
	// The gate (consent) runs after the arguments are checked, before the handler.
	return func(s *mcp.Server, gate callGate) { s.AddTool(t, portableHandler(t.Name, resolved, gated(gate, t, h))) }, nil
}

// Annotation presets. Every tool states all four hints explicitly.
func readOnly() *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{ReadOnlyHint: true, DestructiveHint: ptr(false), IdempotentHint: true, OpenWorldHint: ptr(false)}
}

func write(idempotent bool) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: ptr(false), IdempotentHint: idempotent, OpenWorldHint: ptr(false)}
}

func destructive(idempotent bool) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: ptr(true), IdempotentHint: idempotent, OpenWorldHint: ptr(false)}
}

func ptr[T any](v T) *T { return &v }

// shaper adjusts a generated input schema; a property it does not find is an
// error that defineTool returns.
type shaper struct {
	s   *jsonschema.Schema
	err error
}

func (sh *shaper) prop(name string) *jsonschema.Schema {
	p, ok := sh.s.Properties[name]
	if !ok {
		if sh.err == nil {
			sh.err = fmt.Errorf("schema has no property %q", name)
		}
		return &jsonschema.Schema{}
	}
	return p
}

// bounds sets a number property's range and, when def is not nil, its default.
func (sh *shaper) bounds(name string, lo, hi float64, def any) {
	p := sh.prop(name)
	p.Minimum, p.Maximum = &lo, &hi
	sh.setDefault(p, def)
}

// enum restricts a string property to values, with an optional default.
func (sh *shaper) enum(name string, def string, values ...string) {
	p := sh.prop(name)
	p.Enum = make([]any, len(values))
	for i, v := range values {
		p.Enum[i] = v
	}
	if def != "" {
		sh.setDefault(p, def)
	}
}

// length bounds a string property's length.
func (sh *shaper) length(name string, lo, hi int) {
	p := sh.prop(name)
	p.MinLength, p.MaxLength = &lo, &hi
}

func (sh *shaper) setDefault(p *jsonschema.Schema, def any) {
	if def == nil {
		return
	}
	b, err := json.Marshal(def)
	if err != nil && sh.err == nil {
		sh.err = err
	}
	p.Default = b
}
