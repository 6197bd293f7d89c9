package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

const snapshotRefHelp = "the snapshot: its name, its path in the tree (base/after-patch) or its id (snapshot-42), as list_snapshots shows them; a name used twice is refused with the candidates listed"

type createSnapshotInput struct {
	Name        string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	Snapshot    string `json:"snapshot" jsonschema:"name of the new snapshot: at most 80 characters, no /"`
	Description string `json:"description,omitempty" jsonschema:"what the snapshot is for"`
	Memory      bool   `json:"memory,omitempty" jsonschema:"capture the running VM's memory too, so a revert resumes it running (default false; needs a powered-on VM)"`
	Quiesce     bool   `json:"quiesce,omitempty" jsonschema:"ask VMware Tools to flush the guest's file systems first, for a consistent disk state (default false; needs Tools running)"`
}

type revertSnapshotInput struct {
	Name     string `json:"name" jsonschema:"the VM: its name, inventory path, managed object id or BIOS/instance UUID"`
	Snapshot string `json:"snapshot" jsonschema:"the snapshot to revert to: its name, its path in the tree (base/after-patch) or its id"`
	PowerOn  bool   `json:"power_on,omitempty" jsonschema:"power the VM on after the revert when the snapshot leaves it off (default false: the VM takes the power state the snapshot captured)"`
}

type deleteSnapshotInput struct {
	Name           string `json:"name" jsonschema:"the VM: its name, inventory path, managed object id or BIOS/instance UUID"`
	Snapshot       string `json:"snapshot" jsonschema:"the snapshot to delete: its name, its path in the tree (base/after-patch) or its id; \"*\" deletes every snapshot of the VM"`
	RemoveChildren bool   `json:"remove_children,omitempty" jsonschema:"delete the snapshots below it too (default false: they are kept and hang from its parent)"`
}

func (h *handlers) listSnapshotsTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "list_snapshots",
		Title: "List a VM's snapshots",
		Description: "List a VM's snapshot tree, parents before children: each snapshot's id, name, path in the tree, description, creation time, " +
			"the power state it captured, whether memory and quiescing were used, its children, and which one is current (the one the VM runs from).",
		Annotations: readOnly(),
	}, h.listSnapshots, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) createSnapshotTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "create_snapshot",
		Title: "Take a snapshot of a VM",
		Description: "Take a snapshot of a VM, as a child of its current snapshot. memory captures a running VM's memory (a revert then resumes it running); " +
			"quiesce asks VMware Tools to flush the guest's file systems first. A snapshot is not a backup: it keeps delta disks that grow, so delete it when done. " +
			"Sends progress notifications when asked; cancelling the request cancels the vSphere task.",
		Annotations: write(false),
	}, h.createSnapshot, func(s *shaper) {
		s.length("name", 1, 1024)
		s.length("snapshot", 1, vsphere.MaxSnapshotNameLength)
		s.pattern("snapshot", `^[^/]+$`)
		s.length("description", 0, vsphere.MaxSnapshotDescriptionLength)
	})
}

func (h *handlers) revertSnapshotTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "revert_snapshot",
		Title: "Revert a VM to a snapshot",
		Description: "Revert a VM to one of its snapshots: its disks, configuration and (for a snapshot with memory) running state return to that moment, " +
			"and everything since is lost unless another snapshot holds it. The snapshot becomes the current one. " +
			"Confirm with the user before reverting a VM in use. Sends progress notifications when asked.",
		Annotations: destructive(false),
	}, h.revertSnapshot, func(s *shaper) {
		s.length("name", 1, 1024)
		s.length("snapshot", 1, 1024)
	})
}

func (h *handlers) deleteSnapshotTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "delete_snapshot",
		Title: "Delete a VM's snapshots",
		Description: "Delete one snapshot of a VM (with remove_children, the snapshots below it too), or every snapshot with snapshot: \"*\". " +
			"The VM's current state is kept: vSphere merges the deleted snapshots' changes into its disks, which can take long for old snapshots; " +
			"what is lost is the ability to revert to them. The answer lists every snapshot deleted. Sends progress notifications when asked.",
		Annotations: destructive(false),
	}, h.deleteSnapshot, func(s *shaper) {
		s.length("name", 1, 1024)
		s.length("snapshot", 1, 1024)
	})
}

func (h *handlers) listSnapshots(ctx context.Context, _ *mcp.CallToolRequest, in vmRefInput) (*mcp.CallToolResult, *vsphere.SnapshotList, error) {
	l, err := h.vs.ListSnapshots(ctx, in.Name)
	if err != nil {
		return nil, nil, err
	}
	return nil, l, nil
}

func (h *handlers) createSnapshot(ctx context.Context, req *mcp.CallToolRequest, in createSnapshotInput) (*mcp.CallToolResult, *vsphere.SnapshotResult, error) {
	r, err := h.vs.CreateSnapshot(ctx, vsphere.CreateSnapshotSpec{
		VM: in.Name, Name: in.Snapshot, Description: in.Description, Memory: in.Memory, Quiesce: in.Quiesce,
	}, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	var with []string
	if r.Snapshot.Memory {
		with = append(with, "memory")
	}
	if r.Snapshot.Quiesced {
		with = append(with, "quiesced")
	}
	kind := "disk-only"
	if len(with) > 0 {
		kind = strings.Join(with, " and ")
	}
	msg := fmt.Sprintf("Took snapshot %q (%s, %s) of VM %s (%s); it is the current snapshot, at %s. The VM has %d snapshot(s).",
		r.Snapshot.Name, r.Snapshot.ID, kind, r.VM.Name, r.VM.ID, r.Snapshot.Path, r.Snapshots)
	return answer(withNotes(msg, r.Notes), r), r, nil
}

func (h *handlers) revertSnapshot(ctx context.Context, req *mcp.CallToolRequest, in revertSnapshotInput) (*mcp.CallToolResult, *vsphere.SnapshotResult, error) {
	r, err := h.vs.RevertSnapshot(ctx, in.Name, in.Snapshot, in.PowerOn, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	msg := fmt.Sprintf("Reverted VM %s (%s) to snapshot %q (%s); it is the current snapshot and the VM is %s.",
		r.VM.Name, r.VM.ID, r.Snapshot.Path, r.Snapshot.ID, r.PowerState)
	return answer(withNotes(msg, r.Notes), r), r, nil
}

func (h *handlers) deleteSnapshot(ctx context.Context, req *mcp.CallToolRequest, in deleteSnapshotInput) (*mcp.CallToolResult, *vsphere.SnapshotResult, error) {
	r, err := h.vs.DeleteSnapshot(ctx, in.Name, in.Snapshot, in.RemoveChildren, progressFor(ctx, req))
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(r.Removed))
	for i, s := range r.Removed {
		names[i] = fmt.Sprintf("%q (%s)", s.Path, s.ID)
	}
	var msg string
	switch {
	case !r.Changed:
		msg = fmt.Sprintf("VM %s (%s) has no snapshots; nothing was deleted.", r.VM.Name, r.VM.ID)
	default:
		msg = fmt.Sprintf("Deleted %d snapshot(s) of VM %s (%s): %s. It has %d snapshot(s) left.",
			len(r.Removed), r.VM.Name, r.VM.ID, strings.Join(names, ", "), r.Snapshots)
	}
	return answer(withNotes(msg, r.Notes), r), r, nil
}

// withNotes appends a result's notes to its one-sentence summary.
func withNotes(msg string, notes []string) string {
	if len(notes) == 0 {
		return msg
	}
	return msg + " Note: " + strings.Join(notes, "; ") + "."
}
