package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// AllSnapshots, as the snapshot of delete_snapshot, deletes every snapshot of the VM.
const AllSnapshots = "*"

// Bounds of a new snapshot's name and description.
const (
	MaxSnapshotNameLength        = 80
	MaxSnapshotDescriptionLength = 4096
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

// SnapshotResult is the outcome of creating, reverting or deleting snapshots.
type SnapshotResult struct {
	VM        VMRef          `json:"vm"`
	Operation string         `json:"operation" jsonschema:"create, revert, delete or delete_all"`
	Changed   bool           `json:"changed" jsonschema:"false when there was nothing to do (delete_all on a VM without snapshots)"`
	Snapshot  *SnapshotInfo  `json:"snapshot,omitempty" jsonschema:"the snapshot created, reverted to or deleted"`
	Removed   []SnapshotInfo `json:"removed" jsonschema:"every snapshot deleted (delete and delete_all)"`
	Current   string         `json:"current_snapshot,omitempty" jsonschema:"id of the current snapshot afterwards"`
	// PowerState is read from vSphere after the operation.
	PowerState string   `json:"power_state" jsonschema:"the VM's power state afterwards"`
	Snapshots  int      `json:"snapshots" jsonschema:"number of snapshots the VM has afterwards"`
	Task       string   `json:"task,omitempty" jsonschema:"id of the vSphere task, when there was one"`
	Notes      []string `json:"notes" jsonschema:"things worth knowing about the result"`
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

// CreateSnapshotSpec is a new snapshot.
type CreateSnapshotSpec struct {
	VM          string
	Name        string
	Description string
	Memory      bool // capture the memory of a running VM
	Quiesce     bool // quiesce the guest file systems through VMware Tools
}

func (s *CreateSnapshotSpec) validate() error {
	switch {
	case strings.TrimSpace(s.Name) == "":
		return fmt.Errorf("snapshot (the new snapshot's name) must not be empty")
	case utf8.RuneCountInString(s.Name) > MaxSnapshotNameLength:
		return fmt.Errorf("snapshot name %q is %d characters long; at most %d are allowed", s.Name, utf8.RuneCountInString(s.Name), MaxSnapshotNameLength)
	case strings.TrimSpace(s.Name) != s.Name:
		return fmt.Errorf("snapshot name %q must not begin or end with spaces", s.Name)
	case strings.Contains(s.Name, "/"):
		return fmt.Errorf("snapshot name %q must not contain / (it separates the names of a snapshot's path)", s.Name)
	case s.Name == AllSnapshots:
		return fmt.Errorf("snapshot name %q is reserved: delete_snapshot reads it as every snapshot", s.Name)
	case utf8.RuneCountInString(s.Description) > MaxSnapshotDescriptionLength:
		return fmt.Errorf("description is %d characters long; at most %d are allowed", utf8.RuneCountInString(s.Description), MaxSnapshotDescriptionLength)
	}
	return nil
}

// CreateSnapshot takes a snapshot of a VM, as a child of its current snapshot.
func (c *Client) CreateSnapshot(ctx context.Context, s CreateSnapshotSpec, p Progress) (*SnapshotResult, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	v, err := c.FindVM(ctx, s.VM)
	if err != nil {
		return nil, err
	}
	if v.Template {
		return nil, fmt.Errorf("%s is a template, and templates have no snapshots; convert it with convert_to_vm first", refOf(v))
	}
	if s.Memory && v.PowerState != poweredOn {
		return nil, fmt.Errorf("memory: true captures a running VM's memory, and %s is %s; take the snapshot without memory", refOf(v), v.PowerState)
	}
	if s.Quiesce {
		if v.PowerState != poweredOn {
			return nil, fmt.Errorf("quiesce: true asks VMware Tools in the running guest to flush its file systems, and %s is %s; take the snapshot without quiesce", refOf(v), v.PowerState)
		}
		if err := toolsRunning(v, "quiesce"); err != nil {
			return nil, withoutHardHint(err, "take the snapshot without quiesce")
		}
	}
	t, _, err := c.readSnapshots(ctx, v)
	if err != nil {
		return nil, err
	}
	for _, x := range t.list {
		if x.Name == s.Name && x.Parent == t.current {
			return nil, fmt.Errorf("%s already has snapshot %q (%s) at that place in the tree; choose another name", refOf(v), x.Path, x.ID)
		}
	}

	vm := object.NewVirtualMachine(c.vim, v.ref)
	what := fmt.Sprintf("taking snapshot %q of %s", s.Name, refOf(v))
	task, info, err := c.do(ctx, what, newTracker(p, 1), func(ctx context.Context) (*object.Task, error) {
		return vm.CreateSnapshot(ctx, s.Name, s.Description, s.Memory, s.Quiesce)
	})
	if err != nil {
		return nil, err
	}
	r, after, err := c.snapshotAnswer(ctx, v, "create", task)
	if err != nil {
		return nil, err
	}
	if ref, ok := info.Result.(types.ManagedObjectReference); ok {
		for i := range after.list {
			if after.list[i].ID == ref.Value {
				r.Snapshot = &after.list[i]
			}
		}
	}
	if r.Snapshot == nil {
		return nil, fmt.Errorf("%s: the task succeeded but the new snapshot is not in the VM's tree", what)
	}
	if dup := slices.ContainsFunc(after.list, func(x SnapshotInfo) bool { return x.Name == s.Name && x.ID != r.Snapshot.ID }); dup {
		r.Notes = append(r.Notes, fmt.Sprintf("another snapshot is also called %q: name this one by its path %q or id %s", s.Name, r.Snapshot.Path, r.Snapshot.ID))
	}
	return r, nil
}

// RevertSnapshot reverts a VM to a snapshot. Without powerOn the VM takes the
// power state the snapshot captured; with it, a VM left off is powered on.
func (c *Client) RevertSnapshot(ctx context.Context, reference, snapshot string, powerOn bool, p Progress) (*SnapshotResult, error) {
	v, _, s, err := c.findSnapshot(ctx, reference, snapshot)
	if err != nil {
		return nil, err
	}
	steps := 1
	if powerOn {
		steps = 2
	}
	tr := newTracker(p, steps)
	what := fmt.Sprintf("reverting %s to snapshot %q (%s)", refOf(v), s.Path, s.ID)
	task, _, err := c.do(ctx, what, tr, func(ctx context.Context) (*object.Task, error) {
		res, err := methods.RevertToSnapshot_Task(ctx, c.vim, &types.RevertToSnapshot_Task{This: s.ref, SuppressPowerOn: types.NewBool(false)})
		if err != nil {
			return nil, err
		}
		return object.NewTask(c.vim, res.Returnval), nil
	})
	if err != nil {
		return nil, err
	}
	r, after, err := c.snapshotAnswer(ctx, v, "revert", task)
	if err != nil {
		return nil, err
	}
	r.Snapshot = s
	if i := slices.IndexFunc(after.list, func(x SnapshotInfo) bool { return x.ID == s.ID }); i >= 0 {
		r.Snapshot = &after.list[i]
	}
	if powerOn && r.PowerState != poweredOn {
		vm := object.NewVirtualMachine(c.vim, v.ref)
		if _, _, err := c.do(ctx, fmt.Sprintf("powering on %s after the revert", refOf(v)), tr, vm.PowerOn); err != nil {
			return nil, fmt.Errorf("%s was reverted to snapshot %q but stays %s: %w", refOf(v), s.Path, r.PowerState, err)
		}
		r.PowerState = poweredOn
		r.Notes = append(r.Notes, "powered on after the revert (power_on: true)")
	}
	return r, nil
}

// DeleteSnapshot deletes a snapshot (and, with removeChildren, every snapshot
// below it), or every snapshot of the VM when snapshot is AllSnapshots. The
// VM's current state is kept: vSphere consolidates the deleted snapshots'
// changes into the disks.
func (c *Client) DeleteSnapshot(ctx context.Context, reference, snapshot string, removeChildren bool, p Progress) (*SnapshotResult, error) {
	if strings.TrimSpace(snapshot) == AllSnapshots {
		return c.deleteAllSnapshots(ctx, reference, removeChildren, p)
	}
	v, t, s, err := c.findSnapshot(ctx, reference, snapshot)
	if err != nil {
		return nil, err
	}
	removed := []SnapshotInfo{*s}
	if removeChildren {
		removed = t.subtree(s)
	}
	what := fmt.Sprintf("deleting snapshot %q (%s) of %s", s.Path, s.ID, refOf(v))
	if removeChildren && len(removed) > 1 {
		what = fmt.Sprintf("deleting snapshot %q (%s) and the %d below it of %s", s.Path, s.ID, len(removed)-1, refOf(v))
	}
	task, _, err := c.do(ctx, what, newTracker(p, 1), func(ctx context.Context) (*object.Task, error) {
		res, err := methods.RemoveSnapshot_Task(ctx, c.vim, &types.RemoveSnapshot_Task{This: s.ref, RemoveChildren: removeChildren})
		if err != nil {
			return nil, err
		}
		return object.NewTask(c.vim, res.Returnval), nil
	})
	if err != nil {
		return nil, err
	}
	r, _, err := c.snapshotAnswer(ctx, v, "delete", task)
	if err != nil {
		return nil, err
	}
	r.Snapshot, r.Removed = s, removed
	if !removeChildren && s.Children > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("its %d child snapshot(s) were kept and now hang from its parent", s.Children))
	}
	return r, nil
}

func (c *Client) deleteAllSnapshots(ctx context.Context, reference string, removeChildren bool, p Progress) (*SnapshotResult, error) {
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	t, vm, err := c.readSnapshots(ctx, v)
	if err != nil {
		return nil, err
	}
	if len(t.list) == 0 {
		return &SnapshotResult{VM: refOf(v), Operation: "delete_all", Removed: []SnapshotInfo{}, PowerState: string(vm.Runtime.PowerState),
			Notes: []string{"the VM had no snapshots; nothing was done"}}, nil
	}
	what := fmt.Sprintf("deleting all %d snapshots of %s", len(t.list), refOf(v))
	obj := object.NewVirtualMachine(c.vim, v.ref)
	task, _, err := c.do(ctx, what, newTracker(p, 1), func(ctx context.Context) (*object.Task, error) {
		return obj.RemoveAllSnapshot(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	r, _, err := c.snapshotAnswer(ctx, v, "delete_all", task)
	if err != nil {
		return nil, err
	}
	r.Removed = t.list
	if removeChildren {
		r.Notes = append(r.Notes, "remove_children has no effect with snapshot: \"*\": every snapshot is deleted")
	}
	return r, nil
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

// snapshotAnswer reads the VM's tree and power state after a snapshot task.
// The change is made whatever happens to the request now, so the answer is
// completed even if the request was cancelled meanwhile.
func (c *Client) snapshotAnswer(ctx context.Context, v *VMSummary, op string, task *object.Task) (*SnapshotResult, *snapshotTree, error) {
	after, vm, err := c.readSnapshots(context.WithoutCancel(ctx), v)
	if err != nil {
		return nil, nil, err
	}
	return &SnapshotResult{
		VM: refOf(v), Operation: op, Changed: true, Removed: []SnapshotInfo{}, Current: after.current,
		PowerState: string(vm.Runtime.PowerState), Snapshots: len(after.list), Task: task.Reference().Value, Notes: []string{},
	}, after, nil
}

// withoutHardHint rephrases toolsRunning's advice for operations that have no hard mode.
func withoutHardHint(err error, advice string) error {
	msg := err.Error()
	if i := strings.Index(msg, "; use mode: hard"); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("%s; %s", msg, advice)
}
