package mcpserver_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestVMStatsReferences: the tool and the resource accept a VM's name,
// inventory path, managed object id and BIOS or instance UUID, URL-encoded in
// the resource URI; names with spaces work.
func TestVMStatsReferences(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			e := testenv.New(t, m.opts)
			const spaced = "web server 01"
			vm := vmByName(t, e, m.vm)
			renameVM(t, e, m.vm, spaced)
			path := testenv.CallOK[map[string]any](t, e, "get_vm_stats", map[string]any{"name": spaced})["vm"].(map[string]any)["path"].(string)
			if !strings.HasSuffix(path, "/"+spaced) {
				t.Fatalf("path %q does not end in the VM's name", path)
			}
			// References are exact (issue 7): a padded name names nothing.
			msg := testenv.CallErr(t, e, "get_vm_stats", map[string]any{"name": "  " + spaced + " "})
			if !strings.Contains(msg, "not found") || !strings.Contains(msg, `"`+spaced+`"`) {
				t.Errorf("padded name: %q, want a refusal naming %q", msg, spaced)
			}
			refs := map[string]string{
				"name":          spaced,
				"path":          path,
				"id":            vm.Self.Value,
				"BIOS UUID":     vm.Config.Uuid,
				"instance UUID": strings.ToUpper(vm.Config.InstanceUuid),
			}
			for kind, ref := range refs {
				s := getStats(t, e, map[string]any{"name": ref})
				if s.VM.ID != vm.Self.Value || s.VM.Name != spaced || s.VM.Path != path {
					t.Errorf("tool, by %s %q: vm = %+v, want %s %q", kind, ref, s.VM, vm.Self.Value, path)
				}
				uri := "vmstats://" + url.PathEscape(ref)
				if r := readStats(t, e, uri); r.VM.ID != vm.Self.Value {
					t.Errorf("resource %s: vm = %+v, want %s", uri, r.VM, vm.Self.Value)
				}
			}
		})
	}
}

// TestVMStatsUnknownAndAmbiguous: an unknown VM is the tool's error and the
// protocol's resource-not-found; a name two VMs share lists both candidates.
func TestVMStatsUnknownAndAmbiguous(t *testing.T) {
	e := testenv.New(t, testenv.Options{})

	msg := testenv.CallErr(t, e, "get_vm_stats", map[string]any{"name": "no-such-vm"})
	if !strings.Contains(msg, `"no-such-vm" not found`) {
		t.Errorf("unknown VM: tool error %q", msg)
	}
	if code := readErrCode(t, e, "vmstats://no-such-vm"); code != jsonrpc.CodeInvalidParams {
		t.Errorf("unknown VM: resource error code %d, want %d (resource not found)", code, jsonrpc.CodeInvalidParams)
	}

	// A second DC0_H0_VM0, in another folder, made directly through vSphere.
	ctx := context.Background()
	finder := find.NewFinder(e.Vim)
	dc, err := finder.Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := folders.VmFolder.CreateFolder(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	twin := vmByName(t, e, "DC0_H0_VM1")
	task, err := other.MoveInto(ctx, []types.ManagedObjectReference{twin.Self})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("moving %s: %v", twin.Name, err)
	}
	e.Sim.Publish(twin.Self, "parent") // the simulator does not announce a move; vCenter does
	e.Fresh(t)
	renameVM(t, e, "DC0_H0_VM1", "DC0_H0_VM0")
	original, err := finder.VirtualMachine(ctx, "/DC0/vm/DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}

	msg = testenv.CallErr(t, e, "get_vm_stats", map[string]any{"name": "DC0_H0_VM0"})
	for _, want := range []string{"matches 2", "/DC0/vm/DC0_H0_VM0 (" + original.Reference().Value + ", matched by name)", "/DC0/vm/other/DC0_H0_VM0 (" + twin.Self.Value + ", matched by name)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("ambiguous name: tool error %q lacks %q", msg, want)
		}
	}
	_, err = e.Client.ReadResource(ctx, &mcp.ReadResourceParams{URI: "vmstats://DC0_H0_VM0"})
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(werr.Message, "/DC0/vm/other/DC0_H0_VM0 ("+twin.Self.Value+", matched by name)") {
		t.Errorf("ambiguous name: resource error %v, want invalid params listing the candidates", err)
	}
	// Either is still reachable by path or id.
	if s := getStats(t, e, map[string]any{"name": "/DC0/vm/other/DC0_H0_VM0"}); s.VM.ID != twin.Self.Value {
		t.Errorf("by path: %+v, want %s", s.VM, twin.Self.Value)
	}
}

// renameVM renames a VM directly through vSphere.
func renameVM(t *testing.T, e *testenv.Env, from, to string) {
	t.Helper()
	ctx := context.Background()
	task, err := object.NewVirtualMachine(e.Vim, vmByName(t, e, from).Self).Rename(ctx, to)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("renaming %s to %s: %v", from, to, err)
	}
	e.Fresh(t)
}

// readErrCode reads a resource that must fail and returns the JSON-RPC error code.
func readErrCode(t *testing.T, e *testenv.Env, uri string) int64 {
	t.Helper()
	_, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		t.Fatalf("reading %s: error %v, want a JSON-RPC error", uri, err)
	}
	return werr.Code
}

// TestMonitoringSurface: the resource template is listed, and read-only mode
// keeps every monitoring tool (their annotations say read-only).
func TestMonitoringSurface(t *testing.T) {
	e := testenv.New(t, testenv.Options{ReadOnly: true})
	res, err := e.Client.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ResourceTemplates) != 1 || res.ResourceTemplates[0].URITemplate != "vmstats://{vm_name}" ||
		res.ResourceTemplates[0].MIMEType != "application/json" {
		t.Errorf("resource templates = %+v, want vmstats://{vm_name} (application/json)", res.ResourceTemplates)
	}
	var names []string
	for _, tool := range listTools(t, e) {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"get_vm_stats", "list_hosts", "list_datastores", "list_networks"} {
		if !slices.Contains(names, want) {
			t.Errorf("read-only mode lacks %s; tools: %v", want, names)
		}
	}
}
