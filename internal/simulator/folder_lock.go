package simulator

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// folderWalkLock holds, while a CreateVM task runs, the lock of the root
// folder, and so keeps the simulator's walk of the folder tree from reading a
// folder's children while the task files its new VM there.
//
// Where govmomi's simulator differs from vCenter (a data race, not a
// behaviour): a property collector walks the traversal specs of an object set
// holding only the lock of the set's root, and reads every object it passes
// through without that object's lock. The inventory mirror's update stream
// walks the inventory from the root folder (folders' childEntity, see
// inventory.streamSpec), and the simulator re-walks it for every change it
// reports. A CreateVM task adds its VM to a folder's childEntity holding that
// folder's lock only (NewVirtualMachine, in the task's goroutine), so a walk
// at the same time reads the list as it is rewritten. Holding the root
// folder's lock too makes the two take turns, as vCenter's own consistency
// does. Clones and CreateChildVM_Task file their VM through a CreateVM task as
// well.
//
// The lock is taken inside the task, after the lock of the task's folder
// (handed over by the simulator): the walk takes no other lock while it holds
// the root folder's, and lockHostForDatastoreAdd takes the root folder's
// before any other. A MoveIntoFolder_Task on the root folder takes the root's
// lock and then its source folder's, the reverse order; it cannot meet a
// CreateVM task, whose folder holds VMs, because the root folder takes only
// datacenters and their folders — no test moves anything into it. Other tasks that change a folder's
// children (Destroy_Task, MoveIntoFolder_Task) take the folder after their
// own entity, inside the operation, so holding the root folder's lock around
// them could deadlock against a CreateVM task; they are left as they are.
type folderWalkLock struct {
	m    *simulator.Model
	root types.ManagedObjectReference
}

func (l *folderWalkLock) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "EsxiMcpServerFolderWalkLock", Value: "folderWalkLock"}
}

// PutObject wraps the operation of a CreateVM task as the simulator registers
// it, before the task's goroutine starts.
func (l *folderWalkLock) PutObject(_ *simulator.Context, obj mo.Reference) {
	t, ok := obj.(*simulator.Task)
	if !ok || t.Info.DescriptionId != "Folder.createVm" || t.Info.Entity == nil || *t.Info.Entity == l.root {
		return
	}
	run := t.Execute
	t.Execute = func(t *simulator.Task) (types.AnyType, types.BaseMethodFault) {
		unlock := l.m.Map().AcquireLock(&simulator.Context{}, l.root)
		defer unlock()
		return run(t)
	}
}

func (l *folderWalkLock) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}

func (l *folderWalkLock) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}
