package simulator

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// announcer makes the simulator announce what its tasks change silently.
//
// Where govmomi's simulator differs from vCenter: some tasks change
// properties without telling the property collectors, so an update stream
// (WaitForUpdatesEx, as the server's inventory mirror uses) never hears of
// them, while vCenter reports every change (see Publish for the list). The
// announcer watches tasks succeed and, before anyone can read the success
// through a property collector that runs after it, announces the current
// values of what that kind of task changes. It is a registry handler: the
// simulator calls it for every announced change, in the goroutine that
// marks the task done.
type announcer struct {
	sim *Simulator
}

// announced lists, by task (its description id), what it changes silently
// on its entity.
var announced = map[string][]string{
	"VirtualMachine.reconfigVm":           vmConfig,
	"HostSystem.enterMaintenanceMode":     {"runtime.inMaintenanceMode"},
	"HostSystem.exitMaintenanceMode":      {"runtime.inMaintenanceMode"},
	"Folder.moveIntoFolder":               nil, // the moved entities' parent: see UpdateObject
	"ClusterComputeResource.moveInto":     nil,
	"ClusterComputeResource.moveHostInto": nil,
}

// announcedOnResult lists, by task, what it changes silently on the object
// it creates (its result): a new VM's storage is computed after the VM
// entered the inventory, which the update stream may report before that.
var announcedOnResult = map[string][]string{
	"Folder.createVm":        vmStorage,
	"VirtualMachine.cloneVm": vmStorage,
}

func (a *announcer) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "EsxiMcpServerAnnouncer", Value: "announcer"}
}

func (a *announcer) PutObject(*simulator.Context, mo.Reference) {}

func (a *announcer) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

func (a *announcer) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	t, ok := obj.(*mo.Task)
	if !ok || t.Info.Entity == nil {
		return
	}
	succeeded := false
	for _, c := range changes {
		if c.Name == "info.state" && c.Val == types.TaskInfoStateSuccess {
			succeeded = true
		}
	}
	if !succeeded {
		return
	}
	props, known := announced[t.Info.DescriptionId]
	entity := *t.Info.Entity
	if p, ok := announcedOnResult[t.Info.DescriptionId]; ok {
		result, isRef := t.Info.Result.(types.ManagedObjectReference)
		props, known, entity = p, isRef, result
	}
	if !known {
		return
	}
	publish := func() { a.sim.Publish(entity, props...) }
	if props == nil { // a move: the parent of everything now in the destination
		publish = func() {
			var children []types.ManagedObjectReference
			switch e := a.sim.model.Map().Get(entity).(type) {
			case *simulator.Folder:
				a.sim.model.Map().WithLock(&simulator.Context{}, e, func() { children = append(children, e.ChildEntity...) })
			case *simulator.ClusterComputeResource:
				a.sim.model.Map().WithLock(&simulator.Context{}, e, func() { children = append(children, e.Host...) })
			}
			for _, c := range children {
				a.sim.Publish(c, "parent")
			}
		}
	}
	// Announced before the task's success is, so that a reader who sees the
	// task done sees its effect too. The caller holds the task's lock and
	// Publish takes the entity's: a CancelTask racing the end takes them the
	// other way round, so the wait is bounded and never a deadlock (the
	// announcement then comes a moment later).
	done := make(chan struct{})
	go func() {
		defer close(done)
		publish()
	}()
	select {
	case <-done:
	case <-time.After(announceWait):
	}
}

// announceWait bounds how long a task's end waits for its announcement.
const announceWait = 2 * time.Second
