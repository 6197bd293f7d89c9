package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// SnapshotInfo is one snapshot of a VM's tree.
type SnapshotInfo struct {
	ID          string `json:"id" jsonschema:"managed object id of the snapshot, e.g. snapshot-42"`
	Name        string `json:"name"`
	Path        string `json:"path" jsonschema:"names from the root snapshot down, joined with /; names a snapshot unambiguously when its name is used twice"`
	Parent      string `json:"parent,omitempty" jsonschema:"id of the parent snapshot"`
	Description string `json:"description,omitempty"`
	Created     string `json:"created" jsonschema:"RFC 3339"`
	PowerState  string `json:"power_state" jsonschema:"the VM's power state captured: poweredOn only when the memory was captured"`
	Memory      bool   `json:"memory" jsonschema:"the VM's memory was captured (a revert resumes the running VM)"`
	Quiesced    bool   `json:"quiesced" jsonschema:"the guest file systems were quiesced through VMware Tools"`
	Current     bool   `json:"current" jsonschema:"the snapshot the VM runs from"`
	Children    int    `json:"children" jsonschema:"number of direct child snapshots"`

	ref types.ManagedObjectReference
}

// SnapshotList is a VM's snapshot tree, parents before children.
type SnapshotList struct {
	VM        VMRef          `json:"vm"`
	Snapshots []SnapshotInfo `json:"snapshots" jsonschema:"the tree, parents before children"`
	Current   string         `json:"current_snapshot,omitempty" jsonschema:"id of the snapshot the VM runs from"`
}

// snapshotTree is a VM's snapshots, flattened, with what the operations need.
type snapshotTree struct {
	vm      *VMSummary
	list    []SnapshotInfo
	current string
}

var snapshotVMProps = []string{"snapshot", "runtime.powerState"}

// readSnapshots reads a VM's snapshot tree in one retrieval.
func (c *Client) readSnapshots(ctx context.Context, v *VMSummary) (*snapshotTree, *mo.VirtualMachine, error) {
	vm, err := c.retrieveVM(ctx, v.ref, snapshotVMProps)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the snapshots of %s: %w", refOf(v), err)
	}
	t := &snapshotTree{vm: v, list: []SnapshotInfo{}}
	if s := vm.Snapshot; s != nil {
		if s.CurrentSnapshot != nil {
			t.current = s.CurrentSnapshot.Value
		}
		t.list = flattenSnapshotTree(t.list, s.RootSnapshotList, "", "", t.current)
	}
	return t, vm, nil
}

func flattenSnapshotTree(out []SnapshotInfo, tree []types.VirtualMachineSnapshotTree, parent, path, current string) []SnapshotInfo {
	for _, n := range tree {
		p := n.Name
		if path != "" {
			p = path + "/" + n.Name
		}
		out = append(out, SnapshotInfo{
			ID: n.Snapshot.Value, Name: n.Name, Path: p, Parent: parent, Description: n.Description,
			Created: n.CreateTime.UTC().Format(time.RFC3339), PowerState: string(n.State),
			Memory:   n.State == types.VirtualMachinePowerStatePoweredOn,
			Quiesced: n.Quiesced, Current: n.Snapshot.Value == current, Children: len(n.ChildSnapshotList),
			ref: n.Snapshot,
		})
		out = flattenSnapshotTree(out, n.ChildSnapshotList, n.Snapshot.Value, p, current)
	}
	return out
}

// find resolves a snapshot reference: its id, its path in the tree or its
// name. Every kind of match counts together, as for VMs: a reference that
// means two snapshots is refused with the candidates, never guessed.
func (t *snapshotTree) find(reference string) (*SnapshotInfo, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return nil, fmt.Errorf("snapshot is required: a snapshot's name, its path in the tree (base/after-patch) or its id (see list_snapshots)")
	}
	var found []int
	var by []string
	for i, s := range t.list {
		switch {
		case s.ID == reference:
			found, by = append(found, i), append(by, "id")
		case s.Path == strings.Trim(reference, "/") && strings.Contains(reference, "/"):
			found, by = append(found, i), append(by, "path")
		case s.Name == reference:
			found, by = append(found, i), append(by, "name")
		}
	}
	switch len(found) {
	case 1:
		return &t.list[found[0]], nil
	case 0:
		if len(t.list) == 0 {
			return nil, fmt.Errorf("%s has no snapshots (take one with create_snapshot)", refOf(t.vm))
		}
		paths := make([]string, len(t.list))
		for i, s := range t.list {
			paths[i] = fmt.Sprintf("%s (%s)", s.Path, s.ID)
		}
		return nil, fmt.Errorf("snapshot %q not found on %s; its snapshots: %s", reference, refOf(t.vm), strings.Join(paths, ", "))
	}
	parts := make([]string, len(found))
	for i, f := range found {
		parts[i] = fmt.Sprintf("%s (%s, matched by %s)", t.list[f].Path, t.list[f].ID, by[i])
	}
	return nil, fmt.Errorf("snapshot reference %q matches %d snapshots of %s; name one by its path or id: %s",
		reference, len(found), refOf(t.vm), strings.Join(parts, ", "))
}

// subtree is s and every snapshot below it, in tree order.
func (t *snapshotTree) subtree(s *SnapshotInfo) []SnapshotInfo {
	out := []SnapshotInfo{}
	for _, x := range t.list {
		if x.ID == s.ID || t.below(x, s.ID) {
			out = append(out, x)
		}
	}
	return out
}

// below reports whether x descends from the snapshot with id anc.
func (t *snapshotTree) below(x SnapshotInfo, anc string) bool {
	for seen := 0; seen < len(t.list) && x.Parent != ""; seen++ {
		if x.Parent == anc {
			return true
		}
		i := slices.IndexFunc(t.list, func(s SnapshotInfo) bool { return s.ID == x.Parent })
		if i < 0 {
			return false
		}
		x = t.list[i]
	}
	return false
}

// ListSnapshots returns a VM's snapshot tree.
func (c *Client) ListSnapshots(ctx context.Context, reference string) (*SnapshotList, error) {
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	t, _, err := c.readSnapshots(ctx, v)
	if err != nil {
		return nil, err
	}
	return &SnapshotList{VM: refOf(v), Snapshots: t.list, Current: t.current}, nil
}

// findSnapshot resolves a VM and one of its snapshots; templates have none.
func (c *Client) findSnapshot(ctx context.Context, reference, snapshot string) (*VMSummary, *snapshotTree, *SnapshotInfo, error) {
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, nil, nil, err
	}
	if v.Template {
		return nil, nil, nil, fmt.Errorf("%s is a template, and templates have no snapshots", refOf(v))
	}
	t, _, err := c.readSnapshots(ctx, v)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := t.find(snapshot)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, t, s, nil
}
