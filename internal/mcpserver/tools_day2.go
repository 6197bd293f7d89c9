package mcpserver

import (
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
)

// day2Tools are the everyday operations on existing VMs: snapshots,
// reconfiguration, migration and templates.
func (h *handlers) day2Tools() ([]toolDef, error) {
	var defs []toolDef
	for _, define := range []func() (toolDef, error){
		h.listSnapshotsTool,
		h.createSnapshotTool,
		h.revertSnapshotTool,
		h.deleteSnapshotTool,
		h.reconfigureVMTool,
		h.migrateVMTool,
		h.convertToTemplateTool,
		h.convertToVMTool,
	} {
		d, err := define()
		if err != nil {
			return nil, err
		}
		plainTypes(d.tool.OutputSchema)
		if in, ok := d.tool.InputSchema.(*jsonschema.Schema); ok {
			plainTypes(in)
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// plainTypes turns the ["null", T] types the schema generator gives Go
// pointers and slices into plain T: the tools never send null (slices are
// initialised) and an absent optional argument is simply left out. Strict
// clients warn about nullable types.
func plainTypes(v any) {
	s, ok := v.(*jsonschema.Schema)
	if !ok || s == nil {
		return
	}
	if len(s.Types) == 2 && slices.Contains(s.Types, "null") {
		i := slices.Index(s.Types, "null")
		s.Type, s.Types = s.Types[1-i], nil
	}
	for _, p := range s.Properties {
		plainTypes(p)
	}
	plainTypes(s.Items)
}
