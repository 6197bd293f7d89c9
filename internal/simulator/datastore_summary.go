package simulator

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// SetDatastoreSummary changes the summary of the datastore named name, as
// vSphere shows it after an outage, a maintenance or a change of free space,
// and announces the new summary to the property collectors. For tests.
//
// Where govmomi's simulator differs from vCenter (a data race, not a
// behaviour): told that a sub-property changed ("summary.freeSpace") while a
// filter asks for the whole property ("summary", as the inventory mirror
// does), a property collector reads the property from the live object when
// it next reports, without the object's lock (PropertyFilter.matches), while
// a task adding a disk rewrites the summary's free space under that lock
// (VirtualMachine.configureDevice). vCenter reports the summary as it was
// changed. So the change is announced as the whole "summary", copied under
// the datastore's lock: the collector reports the value it was given and
// reads nothing.
func (s *Simulator) SetDatastoreSummary(name string, change func(*types.DatastoreSummary)) error {
	m := s.model.Map()
	ctx := &simulator.Context{Context: context.Background(), Map: m}
	for _, obj := range m.All("Datastore") {
		ds, ok := obj.(*simulator.Datastore)
		if !ok {
			continue
		}
		found := false
		ctx.WithLock(ds, func() {
			if ds.Name != name {
				return
			}
			found = true
			summary := ds.Summary
			change(&summary)
			ctx.Update(ds, []types.PropertyChange{{Name: "summary", Op: types.PropertyChangeOpAssign, Val: summary}})
		})
		if found {
			return nil
		}
	}
	return fmt.Errorf("no datastore %s in the simulator", name)
}
