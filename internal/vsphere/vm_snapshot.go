package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// AllSnapshots, as the snapshot of delete_snapshot, deletes every snapshot of the VM.
const AllSnapshots = "*"

// Bounds of a new snapshot's name and description.
const (
	MaxSnapshotNameLength        = 80
	MaxSnapshotDescriptionLength = 4096
)

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
