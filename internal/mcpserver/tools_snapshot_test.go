package mcpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// TestSnapshotLifecycle takes, lists, reverts and deletes snapshots through
// the protocol on the vCenter and the ESXi models, checking the tree and the
// current snapshot in vSphere after every step.
func TestSnapshotLifecycle(t *testing.T) {
	t.Parallel()
	for _, esx := range []bool{false, true} {
		t.Run(map[bool]string{false: "vCenter", true: "ESXi"}[esx], func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Options{ESX: esx})
			vm := e.VMs(t, "name", "runtime.powerState", "config.template")
			var name string
			for _, v := range vm {
				if v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn && !v.Config.Template {
					name = v.Name
				}
			}

			empty := testenv.CallOK[vsphere.SnapshotList](t, e, "list_snapshots", map[string]any{"name": name})
			if len(empty.Snapshots) != 0 || empty.Snapshots == nil {
				t.Fatalf("a VM without snapshots lists %#v (want an empty, non-null list)", empty.Snapshots)
			}

			base := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "base", "description": "before patching"})
			info, all := snapshotsOf(t, e, name)
			if info == nil || info.CurrentSnapshot == nil || info.CurrentSnapshot.Value != base.Snapshot.ID || all[base.Snapshot.ID].Name != "base" {
				t.Fatalf("after create base: vSphere tree %v, answer %+v", all, base)
			}
			if all[base.Snapshot.ID].Description != "before patching" || base.Task == "" || base.Snapshot.Memory {
				t.Errorf("base: description %q, task %q, memory %v", all[base.Snapshot.ID].Description, base.Task, base.Snapshot.Memory)
			}

			// A memory snapshot of the running VM: a child of base, capturing poweredOn.
			patched := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "after-patch", "memory": true})
			_, all = snapshotsOf(t, e, name)
			if n := all[patched.Snapshot.ID]; n.State != types.VirtualMachinePowerStatePoweredOn || len(all[base.Snapshot.ID].ChildSnapshotList) != 1 {
				t.Errorf("after-patch: captured %s, base has %d children", n.State, len(all[base.Snapshot.ID].ChildSnapshotList))
			}
			if !patched.Snapshot.Memory || patched.Snapshot.Path != "base/after-patch" || patched.Snapshot.Parent != base.Snapshot.ID {
				t.Errorf("after-patch answer: %+v", patched.Snapshot)
			}

			// Revert to base by name. The simulator's RevertToSnapshot moves only the
			// current-snapshot pointer; vCenter also restores the disks, the
			// configuration and the captured power state (poweredOff for base, taken
			// without memory). The pointer is what both guarantee, so that is checked.
			reverted := testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": name, "snapshot": "base"})
			if info, _ := snapshotsOf(t, e, name); info.CurrentSnapshot.Value != base.Snapshot.ID || reverted.Current != base.Snapshot.ID {
				t.Errorf("after revert to base: current %v, answer %s", info.CurrentSnapshot, reverted.Current)
			}
			// The answer reports the power state vSphere has after the revert, whatever it is.
			if got := powerState(t, e, name); reverted.PowerState != got {
				t.Errorf("answer says %s, vSphere %s", reverted.PowerState, got)
			}

			// A second "after-patch", below a new snapshot x under base: the name is now ambiguous.
			x := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "x"})
			twin := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "after-patch"})
			if twin.Snapshot.Path != "base/x/after-patch" || len(twin.Notes) == 0 {
				t.Errorf("twin: path %q, notes %v (want a note that the name is used twice)", twin.Snapshot.Path, twin.Notes)
			}
			msg := testenv.CallErr(t, e, "revert_snapshot", map[string]any{"name": name, "snapshot": "after-patch"})
			for _, w := range []string{"matches 2 snapshots", "base/after-patch", "base/x/after-patch", patched.Snapshot.ID, twin.Snapshot.ID} {
				if !strings.Contains(msg, w) {
					t.Errorf("ambiguous snapshot error %q does not say %q", msg, w)
				}
			}
			// By path, and by id, it is unambiguous.
			testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": name, "snapshot": "base/after-patch"})
			if info, _ := snapshotsOf(t, e, name); info.CurrentSnapshot.Value != patched.Snapshot.ID {
				t.Errorf("revert by path: current %v, want %s", info.CurrentSnapshot, patched.Snapshot.ID)
			}
			testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": name, "snapshot": twin.Snapshot.ID})
			if info, _ := snapshotsOf(t, e, name); info.CurrentSnapshot.Value != twin.Snapshot.ID {
				t.Errorf("revert by id: current %v, want %s", info.CurrentSnapshot, twin.Snapshot.ID)
			}

			// list_snapshots shows the tree as vSphere has it.
			l := testenv.CallOK[vsphere.SnapshotList](t, e, "list_snapshots", map[string]any{"name": name})
			_, all = snapshotsOf(t, e, name)
			if len(l.Snapshots) != len(all) || len(all) != 4 || l.Current != twin.Snapshot.ID {
				t.Fatalf("list: %d snapshots (vSphere %d), current %s", len(l.Snapshots), len(all), l.Current)
			}
			for _, s := range l.Snapshots {
				n, ok := all[s.ID]
				if !ok || n.Name != s.Name || string(n.State) != s.PowerState || s.Current != (s.ID == twin.Snapshot.ID) || s.Children != len(n.ChildSnapshotList) {
					t.Errorf("listed %+v, vSphere %+v", s, n)
				}
			}
			if l.Snapshots[0].ID != base.Snapshot.ID {
				t.Errorf("parents come first: got %s first", l.Snapshots[0].Path)
			}

			// Delete x alone: its child stays and hangs from base.
			del := testenv.CallOK[vsphere.SnapshotResult](t, e, "delete_snapshot", map[string]any{"name": name, "snapshot": x.Snapshot.ID})
			_, all = snapshotsOf(t, e, name)
			if _, ok := all[x.Snapshot.ID]; ok || len(all) != 3 || len(del.Removed) != 1 || del.Task == "" {
				t.Errorf("after deleting x: vSphere %v, answer %+v", all, del)
			}
			if _, ok := all[twin.Snapshot.ID]; !ok {
				t.Errorf("x's child %s was deleted with it", twin.Snapshot.ID)
			}

			// Delete base with its children: every snapshot is gone.
			del = testenv.CallOK[vsphere.SnapshotResult](t, e, "delete_snapshot", map[string]any{"name": name, "snapshot": base.Snapshot.ID, "remove_children": true})
			if info, all := snapshotsOf(t, e, name); len(all) != 0 || (info != nil && info.CurrentSnapshot != nil) || len(del.Removed) != 3 {
				t.Errorf("after deleting base and its children: vSphere %v, answer removed %d", all, len(del.Removed))
			}

			// Delete all: two snapshots, then none; again is a no-op, not an error.
			testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "a"})
			testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "b"})
			all2 := testenv.CallOK[vsphere.SnapshotResult](t, e, "delete_snapshot", map[string]any{"name": name, "snapshot": "*"})
			if info, all := snapshotsOf(t, e, name); len(all) != 0 || info != nil || len(all2.Removed) != 2 || all2.Operation != "delete_all" {
				t.Errorf("after delete all: vSphere %v, answer %+v", all, all2)
			}
			again := testenv.CallOK[vsphere.SnapshotResult](t, e, "delete_snapshot", map[string]any{"name": name, "snapshot": "*"})
			if again.Changed || again.Task != "" {
				t.Errorf("delete all without snapshots: %+v, want changed false and no task", again)
			}
		})
	}
}

// TestRevertSnapshotPowerOn: power_on powers on a VM that the revert leaves off.
func TestRevertSnapshotPowerOn(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	const name = "DC0_C0_RP0_VM1" // powered off
	s := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "cold"})
	r := testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": name, "snapshot": "cold", "power_on": true})
	if got := powerState(t, e, name); got != "poweredOn" || r.PowerState != "poweredOn" {
		t.Errorf("after revert with power_on: vSphere %s, answer %s", got, r.PowerState)
	}
	if info, _ := snapshotsOf(t, e, name); info.CurrentSnapshot.Value != s.Snapshot.ID {
		t.Errorf("current %v, want %s", info.CurrentSnapshot, s.Snapshot.ID)
	}
}

// TestQuiescedSnapshot: with VMware Tools running, quiesce is accepted and
// the snapshot is marked quiesced in vSphere.
func TestQuiescedSnapshot(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	const name = "DC0_H0_VM1" // powered on
	setToolsRunning(t, e, name)
	r := testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": name, "snapshot": "consistent", "quiesce": true})
	if _, all := snapshotsOf(t, e, name); !all[r.Snapshot.ID].Quiesced || !r.Snapshot.Quiesced || r.Snapshot.Memory {
		t.Errorf("vSphere quiesced %v, answer %+v", all[r.Snapshot.ID].Quiesced, r.Snapshot)
	}
}

// TestSnapshotBadInput: each snapshot tool refuses bad input in words and changes nothing.
func TestSnapshotBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	const on, off = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1" // Tools not running in either
	twinVM(t, e, "DC0_H0_VM0")
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": on, "snapshot": "base"})
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": on, "snapshot": "dup"})
	testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": on, "snapshot": "base"})
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": on, "snapshot": "mid"})
	testenv.CallOK[vsphere.SnapshotResult](t, e, "create_snapshot", map[string]any{"name": on, "snapshot": "dup"})
	testenv.CallOK[vsphere.SnapshotResult](t, e, "revert_snapshot", map[string]any{"name": on, "snapshot": "base/mid"}) // a new snapshot would be dup's sibling
	long := strings.Repeat("s", 81)

	t.Run("list_snapshots", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{}, "DC0_H0_VM0")
		cases = append(cases,
			badInput{"VM id of another kind", map[string]any{"name": "host-1"}, []string{"not found"}},
			badInput{"unknown UUID", map[string]any{"name": "00000000-0000-0000-0000-000000000000"}, []string{"not found"}},
			badInput{"reference too long", map[string]any{"name": strings.Repeat("v", 1025)}, []string{"name"}},
		)
		runBadInputs(t, e, "list_snapshots", cases)
	})
	t.Run("create_snapshot", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{"snapshot": "s"}, "DC0_H0_VM0")
		cases = append(cases,
			badInput{"no snapshot name", map[string]any{"name": on}, []string{"snapshot"}},
			badInput{"blank snapshot name", map[string]any{"name": on, "snapshot": "  "}, []string{"must not be empty"}},
			badInput{"name too long", map[string]any{"name": on, "snapshot": long}, []string{"snapshot"}},
			badInput{"name with a slash", map[string]any{"name": on, "snapshot": "a/b"}, []string{"snapshot"}},
			badInput{"reserved name", map[string]any{"name": on, "snapshot": "*"}, []string{"reserved"}},
			badInput{"memory of a VM that is off", map[string]any{"name": off, "snapshot": "m", "memory": true}, []string{"poweredOff", "without memory"}},
			badInput{"quiesce without Tools", map[string]any{"name": on, "snapshot": "q", "quiesce": true}, []string{"VMware Tools are not running", "without quiesce"}},
			badInput{"quiesce of a VM that is off", map[string]any{"name": off, "snapshot": "q", "quiesce": true}, []string{"poweredOff", "without quiesce"}},
			badInput{"snapshot of a template", map[string]any{"name": simulator.TemplateName, "snapshot": "t"}, []string{"is a template"}},
			badInput{"sibling with the same name", map[string]any{"name": on, "snapshot": "dup"}, []string{"already has snapshot", "base/mid/dup"}},
			badInput{"description too long", map[string]any{"name": on, "snapshot": "d", "description": strings.Repeat("d", 4097)}, []string{"description"}},
		)
		runBadInputs(t, e, "create_snapshot", cases)
	})
	t.Run("revert_snapshot", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{"snapshot": "base"}, "DC0_H0_VM0")
		cases = append(cases,
			badInput{"no snapshot", map[string]any{"name": on}, []string{"snapshot"}},
			badInput{"unknown snapshot", map[string]any{"name": on, "snapshot": "nope"}, []string{`snapshot "nope" not found`, "base/mid/dup"}},
			badInput{"ambiguous snapshot", map[string]any{"name": on, "snapshot": "dup"}, []string{"matches 2 snapshots", "base/dup", "base/mid/dup"}},
			badInput{"unknown path", map[string]any{"name": on, "snapshot": "base/nope"}, []string{"not found"}},
			badInput{"VM without snapshots", map[string]any{"name": off, "snapshot": "base"}, []string{"has no snapshots"}},
			badInput{"template", map[string]any{"name": simulator.TemplateName, "snapshot": "base"}, []string{"is a template"}},
			badInput{"blank snapshot", map[string]any{"name": on, "snapshot": " "}, []string{"snapshot is required"}},
		)
		runBadInputs(t, e, "revert_snapshot", cases)
	})
	t.Run("delete_snapshot", func(t *testing.T) {
		cases := vmRefCases("name", map[string]any{"snapshot": "base"}, "DC0_H0_VM0")
		cases = append(cases,
			badInput{"no snapshot", map[string]any{"name": on}, []string{"snapshot"}},
			badInput{"unknown snapshot", map[string]any{"name": on, "snapshot": "nope"}, []string{"not found"}},
			badInput{"ambiguous snapshot", map[string]any{"name": on, "snapshot": "dup", "remove_children": true}, []string{"matches 2 snapshots"}},
			badInput{"VM without snapshots", map[string]any{"name": off, "snapshot": "base"}, []string{"has no snapshots"}},
			badInput{"snapshot id of another VM's kind", map[string]any{"name": on, "snapshot": "vm-1"}, []string{"not found"}},
			badInput{"delete all of an unknown VM", map[string]any{"name": "ghost", "snapshot": "*"}, []string{`VM "ghost" not found`}},
		)
		runBadInputs(t, e, "delete_snapshot", cases)
	})
}

// TestDay2Progress: the day-2 tools that run a vSphere task report progress
// naming the task when the client asks, and answer with the task's id.
func TestDay2Progress(t *testing.T) {
	t.Parallel()
	progress := newProgressLog()
	e := testenv.New(t, testenv.Options{ClientOptions: &mcp.ClientOptions{ProgressNotificationHandler: progress.handler}})
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"create_snapshot", map[string]any{"name": "DC0_C0_RP0_VM1", "snapshot": "p"}},
		{"revert_snapshot", map[string]any{"name": "DC0_C0_RP0_VM1", "snapshot": "p"}},
		{"reconfigure_vm", map[string]any{"name": "DC0_C0_RP0_VM1", "memory": 64}},
		{"migrate_vm", map[string]any{"name": "DC0_C0_RP0_VM1", "datastore": "LocalDS_1"}},
		{"delete_snapshot", map[string]any{"name": "DC0_C0_RP0_VM1", "snapshot": "*"}},
	}
	for i, c := range calls {
		token := fmt.Sprintf("day2-%d", i)
		params := &mcp.CallToolParams{Name: c.tool, Arguments: c.args}
		params.SetProgressToken(token)
		res, err := e.Client.CallTool(context.Background(), params)
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %v", c.tool, err, res)
		}
		var out struct{ Task string }
		decode(t, res.StructuredContent, &out)
		n := progress.await(t, "from "+c.tool, func(n *mcp.ProgressNotificationParams) bool { return n.ProgressToken == token })
		if out.Task == "" || !strings.Contains(n.Message, out.Task) {
			t.Errorf("%s: answer task %q, progress %q", c.tool, out.Task, n.Message)
		}
	}
}
