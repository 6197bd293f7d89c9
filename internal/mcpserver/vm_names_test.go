package mcpserver_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// simulatorFiles lists every file the simulator holds for its datastores, from
// the directory above them (a name like ".." would put files there, outside
// any datastore). The directories come from the datastores' URLs, read from
// vSphere directly.
func simulatorFiles(t *testing.T, e *testenv.Env) []string {
	t.Helper()
	var stores []mo.Datastore
	retrieveAll(t, e, "Datastore", []string{"info"}, &stores)
	var root string
	for _, ds := range stores {
		dir := filepath.Dir(filepath.Clean(ds.Info.GetDatastoreInfo().Url))
		if root == "" || len(dir) < len(root) {
			root = dir
		}
	}
	if root == "" {
		t.Fatal("no datastore URL to list")
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing the simulator's datastore files under %s: %v", root, err)
	}
	slices.Sort(files)
	return files
}

// TestNewNamesRefused: a new name vSphere cannot hold safely ("." and "..",
// control characters, whitespace at either end, %, / and \) is refused by
// create_vm and clone_vm before anything is made: no VM, and not one file
// more on any datastore (listed directly, including the directory above them).
func TestNewNamesRefused(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	names := []struct {
		name string
		want string // in the error
	}{
		{".", "not allowed"},
		{"..", "not allowed"},
		{"a\x00b", "control characters"},
		{"a\nb", "control characters"},
		{"tab\tin", "control characters"},
		{"a\u0085b", "control characters"},
		{" lead", "begin or end with spaces"},
		{"trail ", "begin or end with spaces"},
		{"nbsp\u00a0", "begin or end with spaces"},
		{"50%-off", "must not contain %"},
		{"a%20b", "must not contain %"},
		{"a%2fb", "must not contain %"},
		{"a/b", "must not contain /"},
		{`a\b`, "must not contain /"},
	}
	for _, n := range names {
		for _, tool := range []string{"create_vm", "clone_vm"} {
			t.Run(tool+"/"+n.name, func(t *testing.T) {
				args := map[string]any{"name": n.name, "cpu": 1, "memory": 128}
				field := "name"
				if tool == "clone_vm" {
					args, field = map[string]any{"template_name": simulator.TemplateName, "new_name": n.name}, "new_name"
				}
				before, files := inventory(t, e), simulatorFiles(t, e)
				msg := testenv.CallErr(t, e, tool, args)
				if !strings.Contains(msg, field) {
					t.Errorf("error %q does not name %s", msg, field)
				}
				if after := inventory(t, e); !slices.Equal(before, after) {
					t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
				}
				if after := simulatorFiles(t, e); !slices.Equal(files, after) {
					t.Errorf("files changed on the datastores:\nbefore %v\nafter  %v", files, after)
				}
			})
		}
		// The domain rule holds for any caller, with its own words (the
		// schema may refuse first, with the pattern).
		if err := vsphere.CheckNewName(n.name); err == nil || !strings.Contains(err.Error(), n.want) {
			t.Errorf("CheckNewName(%q) = %v, want an error saying %q", n.name, err, n.want)
		}
	}
	// Names that are fine, made for real.
	for _, ok := range []string{"web-01", "a.b", "...x", "名前 with spaces", "x.."} {
		vm := testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": ok, "cpu": 1, "memory": 128})
		if got := nameOf(t, e, types.ManagedObjectReference{Type: "VirtualMachine", Value: vm.ID}); got != ok {
			t.Errorf("created %q, vSphere holds %q", ok, got)
		}
	}
}
