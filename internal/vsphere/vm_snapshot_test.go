package vsphere

import (
	"strings"
	"testing"
)

func TestSnapshotFind(t *testing.T) {
	// base ─┬─ after-patch
	//       └─ x ── after-patch
	tree := &snapshotTree{vm: &VMSummary{ID: "vm-1", Name: "web"}, list: []SnapshotInfo{
		{ID: "snapshot-1", Name: "base", Path: "base"},
		{ID: "snapshot-2", Name: "after-patch", Path: "base/after-patch", Parent: "snapshot-1"},
		{ID: "snapshot-3", Name: "x", Path: "base/x", Parent: "snapshot-1"},
		{ID: "snapshot-4", Name: "after-patch", Path: "base/x/after-patch", Parent: "snapshot-3"},
		{ID: "snapshot-5", Name: "snapshot-1", Path: "base/x/after-patch/snapshot-1", Parent: "snapshot-4"},
	}}
	for _, c := range []struct {
		ref, id, err string
	}{
		{"base", "snapshot-1", ""},
		{"snapshot-2", "snapshot-2", ""},
		{"base/x/after-patch", "snapshot-4", ""},
		{"/base/after-patch", "snapshot-2", ""},
		{"after-patch", "", "matches 2 snapshots"},
		{"snapshot-1", "", "matches 2 snapshots"}, // an id that is also a name: never guessed
		{"x/after-patch", "", "not found"},
		{"nope", "", "its snapshots: base (snapshot-1)"},
		{"", "", "snapshot is required"},
	} {
		s, err := tree.find(c.ref)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("find(%q): %v, want error %q", c.ref, err, c.err)
		case c.err == "" && (err != nil || s.ID != c.id):
			t.Errorf("find(%q) = %v, %v; want %s", c.ref, s, err, c.id)
		}
	}
	sub := tree.subtree(&tree.list[2])
	if len(sub) != 3 || sub[0].ID != "snapshot-3" || sub[2].ID != "snapshot-5" {
		t.Errorf("subtree of x: %+v", sub)
	}
}
