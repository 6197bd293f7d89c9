package simulator

import (
	"context"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// PublishVMConfig announces a VM's name, CPU and memory to the simulator's
// property collectors, as vCenter does after a ReconfigVM_Task. govmomi's
// simulator applies a reconfiguration but announces only config.extraConfig,
// so an update stream (WaitForUpdatesEx) never hears of a new name, CPU or
// memory count given that way; a real vCenter reports them. Tests call this after
// reconfiguring a VM behind the server's back.
func (s *Simulator) PublishVMConfig(ref types.ManagedObjectReference) {
	vm, ok := s.model.Map().Get(ref).(*simulator.VirtualMachine)
	if !ok || vm.Config == nil {
		return
	}
	ctx := &simulator.Context{Context: context.Background(), Map: s.model.Map()}
	s.model.Map().Update(ctx, vm, []types.PropertyChange{
		{Name: "name", Op: types.PropertyChangeOpAssign, Val: vm.Name},
		{Name: "config.hardware.numCPU", Op: types.PropertyChangeOpAssign, Val: vm.Config.Hardware.NumCPU},
		{Name: "config.hardware.memoryMB", Op: types.PropertyChangeOpAssign, Val: vm.Config.Hardware.MemoryMB},
	})
}
