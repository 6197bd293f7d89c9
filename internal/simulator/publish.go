package simulator

import (
	"context"

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
//     (only config.extraConfig is announced);
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

// PublishVMConfig announces a VM's name, CPU and memory after a
// ReconfigVM_Task (see Publish).
func (s *Simulator) PublishVMConfig(ref types.ManagedObjectReference) {
	s.Publish(ref, "name", "config.hardware.numCPU", "config.hardware.memoryMB")
}
