package mcpserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vmware/govmomi/object"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

type deleteOut struct {
	VM         struct{ ID, Name, Path string } `json:"vm"`
	Template   bool                            `json:"template"`
	VMXPath    string                          `json:"vmx_path"`
	PoweredOff bool                            `json:"powered_off"`
	Disks      []struct{ File string }         `json:"disks"`
	Files      []string                        `json:"files"`
}

func TestDeleteVM(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	fx := makeFixtures(t, e)
	ctx := context.Background()
	setPower(t, e, "DC0_H0_VM1", "suspended")

	cases := []struct {
		name, ref  string // VM name, and how the tool is told
		force      bool
		poweredOff bool // force had to power it off
		template   bool
	}{
		{name: "DC0_C0_RP0_VM1", ref: "/DC0/vm/DC0_C0_RP0_VM1"},
		{name: "DC0_H0_VM0", ref: "DC0_H0_VM0", force: true, poweredOff: true},
		{name: "DC0_H0_VM1", ref: "DC0_H0_VM1", force: true, poweredOff: true},
		{name: simulator.TemplateName, ref: simulator.TemplateName, template: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := mustVM(t, e, c.name)
			vmx := vm.Config.Files.VmPathName
			var p object.DatastorePath
			p.FromString(vmx)
			ds, err := fx.finder.Datastore(ctx, p.Datastore)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ds.Stat(ctx, p.Path); err != nil {
				t.Fatalf("fixture: %s should exist before: %v", vmx, err)
			}

			out := testenv.CallOK[deleteOut](t, e, "delete_vm", map[string]any{"name": c.ref, "force": c.force})
			if out.VM.ID != vm.Self.Value || out.VMXPath != vmx || out.PoweredOff != c.poweredOff || out.Template != c.template {
				t.Errorf("answer %+v; want id %s, vmx %s, powered_off %v, template %v", out, vm.Self.Value, vmx, c.poweredOff, c.template)
			}
			if !slicesContain(out.Files, vmx) {
				t.Errorf("files %v do not list %s", out.Files, vmx)
			}
			for _, d := range out.Disks {
				if !slicesContain(out.Files, d.File) {
					t.Errorf("disk %s not among the files %v", d.File, out.Files)
				}
			}
			if vmNamed(t, e, c.name) != nil {
				t.Errorf("VM %s still exists in vSphere", c.name)
			}
			_, err = ds.Stat(ctx, p.Path)
			var noDir object.DatastoreNoSuchDirectoryError
			var noFile object.DatastoreNoSuchFileError
			if !errors.As(err, &noDir) && !errors.As(err, &noFile) {
				t.Errorf("%s is still on the datastore (stat: %v)", vmx, err)
			}
		})
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
