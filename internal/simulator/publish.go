package simulator

import (
	"context"
	"slices"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Publish announces the current values of an object's properties to the
// simulator's property collectors, as vCenter does after the change that set
// them. govmomi's simulator changes some properties without announcing them,
// so an update stream (WaitForUpdatesEx) never hears of them there, while a
// real vCenter reports them:
//   - ReconfigVM_Task: name, config.hardware.numCPU, config.hardware.memoryMB
//     (only config.extraConfig and config.hardware.device are announced), and
//     the storage figures a device change recomputes (summary.storage.*,
//     storage.perDatastoreUsage; vCenter recomputes them on its own schedule,
//     not always at once, and reports each change);
//   - CreateVM_Task, CloneVM_Task: the new VM's storage figures, computed
//     after the VM entered the inventory;
//   - MoveIntoFolder_Task: the moved entity's parent;
//   - EnterMaintenanceMode_Task / ExitMaintenanceMode_Task: runtime.inMaintenanceMode.
//
// Tests call this after making such a change behind the server's back.
// Properties it does not know are ignored.
func (s *Simulator) Publish(ref types.ManagedObjectReference, props ...string) {
	obj := s.model.Map().Get(ref)
	if obj == nil {
		return
	}
	// Under the object's lock, as the simulator's own handlers change objects.
	ctx := &simulator.Context{Context: context.Background(), Map: s.model.Map()}
	ctx.WithLock(obj, func() { s.publish(ctx, obj, props) })
}

func (s *Simulator) publish(ctx *simulator.Context, obj mo.Reference, props []string) {
	var changes []types.PropertyChange
	set := func(name string, val any) {
		changes = append(changes, types.PropertyChange{Name: name, Op: types.PropertyChangeOpAssign, Val: val})
	}
	for _, p := range props {
		switch p {
		case "name":
			if e, ok := obj.(mo.Entity); ok {
				set(p, e.Entity().Name)
			}
		case "parent":
			if e, ok := obj.(mo.Entity); ok && e.Entity().Parent != nil {
				set(p, *e.Entity().Parent)
			}
		case "config.hardware.numCPU", "config.hardware.memoryMB":
			if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Config != nil {
				if p == "config.hardware.numCPU" {
					set(p, vm.Config.Hardware.NumCPU)
				} else {
					set(p, vm.Config.Hardware.MemoryMB)
				}
			}
		case "config.template":
			if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Config != nil {
				set(p, vm.Config.Template)
			}
		case "resourcePool":
			if vm, ok := obj.(*simulator.VirtualMachine); ok {
				if vm.ResourcePool != nil {
					set(p, *vm.ResourcePool)
				} else {
					changes = append(changes, types.PropertyChange{Name: p, Op: types.PropertyChangeOpRemove})
				}
			}
		case "runtime.host":
			if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Runtime.Host != nil {
				set(p, *vm.Runtime.Host)
			}
		case "summary.storage.committed", "summary.storage.uncommitted", "summary.storage.unshared":
			if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Summary.Storage != nil {
				st := vm.Summary.Storage
				v := st.Committed
				switch p {
				case "summary.storage.uncommitted":
					v = st.Uncommitted
				case "summary.storage.unshared":
					v = st.Unshared
				}
				set(p, v)
			}
		case "storage.perDatastoreUsage":
			if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Storage != nil {
				set(p, slices.Clone(vm.Storage.PerDatastoreUsage))
			}
		case "runtime.inMaintenanceMode":
			if h, ok := obj.(*simulator.HostSystem); ok {
				set(p, h.Runtime.InMaintenanceMode)
			}
		}
	}
	if len(changes) == 0 {
		return
	}
	s.model.Map().Update(ctx, obj, changes)
}

// vmStorage are the storage figures of a VM the simulator recomputes silently.
var vmStorage = []string{"summary.storage.committed", "summary.storage.uncommitted", "summary.storage.unshared", "storage.perDatastoreUsage"}

// vmConfig is what a ReconfigVM_Task changes silently (see Publish).
var vmConfig = append([]string{"name", "config.hardware.numCPU", "config.hardware.memoryMB"}, vmStorage...)

// PublishVMConfig announces a VM's name, CPU, memory and storage figures
// after a ReconfigVM_Task (see Publish).
func (s *Simulator) PublishVMConfig(ref types.ManagedObjectReference) {
	s.Publish(ref, vmConfig...)
}
