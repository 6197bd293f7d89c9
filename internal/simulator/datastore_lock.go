package simulator

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// lockHostForDatastoreAdd holds, while a datastore is added through a host's
// HostDatastoreSystem, the lock of the root folder and then that of that
// host, and returns the function that releases them (a no-op for any other
// request).
//
// Where govmomi's simulator differs from vCenter (data races, not a
// behaviour): CreateLocalDatastore and CreateNasDatastore write the host's
// datastore list while holding only the HostDatastoreSystem's lock, so a
// property collector reading the host at the same time — the inventory
// mirror's update stream watches every host's datastores — races with the
// write. The simulator reads and writes a host under its lock everywhere
// else; this holds it around the one write that does not. They also add the
// datastore to its folder's children under that folder's lock only, while a
// property collector walks the folder tree holding only the root folder's
// lock (see folderWalkLock); holding the root folder's lock as well keeps
// the walk out. The root folder is taken first, as a CreateVM task takes it
// before the host. (A vSAN datastore made by a task, not by a SOAP call, is
// not covered; no test makes one.)
func lockHostForDatastoreAdd(m *simulator.Model, method string, this types.ManagedObjectReference) func() {
	if this.Type != "HostDatastoreSystem" || (method != "CreateLocalDatastore" && method != "CreateNasDatastore") {
		return func() {}
	}
	dss, ok := m.Map().Get(this).(*simulator.HostDatastoreSystem)
	if !ok || dss.Host == nil {
		return func() {}
	}
	ctx := &simulator.Context{}
	unlockRoot := m.Map().AcquireLock(ctx, m.ServiceContent.RootFolder)
	unlockHost := m.Map().AcquireLock(ctx, dss.Host)
	return func() {
		unlockHost()
		unlockRoot()
	}
}
