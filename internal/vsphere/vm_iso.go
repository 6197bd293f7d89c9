package vsphere

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// isoFile is an ISO image on a datastore, checked to exist.
type isoFile struct {
	path      string // [ds] dir/file.iso, as vSphere writes it
	datastore types.ManagedObjectReference
}

// parseISO checks the form of an ISO reference: "[datastore] path/file.iso".
func parseISO(field, iso string) (object.DatastorePath, error) {
	var p object.DatastorePath
	if !p.FromString(strings.TrimSpace(iso)) || p.Datastore == "" || p.Path == "" {
		return p, fmt.Errorf("%s %q is not a datastore path: write it as \"[datastore] folder/file.iso\", e.g. \"[LocalDS_0] iso/ubuntu-22.04.iso\"", field, iso)
	}
	if !strings.EqualFold(path.Ext(p.Path), ".iso") {
		return p, fmt.Errorf("%s %q does not name an .iso file", field, iso)
	}
	return p, nil
}

// checkISO resolves the ISO's datastore among those reachable from where the
// VM runs and checks that the file is there (a datastore browser search: one
// vSphere task), so that a typo is refused before anything changes.
func (c *Client) checkISO(ctx context.Context, pi *placementInventory, field, iso string, reachable []types.ManagedObjectReference, where string) (*isoFile, error) {
	p, err := parseISO(field, iso)
	if err != nil {
		return nil, err
	}
	ds, err := pi.resolveDatastore(p.Datastore, types.ManagedObjectReference{}, reachable, nil, where)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", field, iso, err)
	}
	d := object.NewDatastore(c.vim, ds.Ref)
	d.InventoryPath = ds.Name // Stat names the datastore in the paths it searches
	_, err = d.Stat(ctx, p.Path)
	var noFile object.DatastoreNoSuchFileError
	var noDir object.DatastoreNoSuchDirectoryError
	switch {
	case errors.As(err, &noFile), errors.As(err, &noDir):
		return nil, fmt.Errorf("%s: file %s was not found on datastore %s; upload the ISO there first, or check the path (case matters)", field, p.String(), ds.Name)
	case err != nil:
		return nil, describeFault(fmt.Sprintf("looking for %s on datastore %s", p.String(), ds.Name), err)
	}
	return &isoFile{path: p.String(), datastore: ds.Ref}, nil
}

// mountISO returns the device changes that put iso in the VM's first CD/DVD
// drive, adding a drive on a free IDE slot (or a new SATA controller) when
// the VM has none; running says whether the drive connects at once.
func mountISO(devices object.VirtualDeviceList, iso *isoFile, running bool) ([]types.BaseVirtualDeviceConfigSpec, Change, error) {
	backing := &types.VirtualCdromIsoBackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
		FileName: iso.path, Datastore: &iso.datastore,
	}}
	connect := &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true, Connected: running}
	if drives := devices.SelectByType((*types.VirtualCdrom)(nil)); len(drives) > 0 {
		cd := *drives[0].(*types.VirtualCdrom)
		ch := Change{Item: deviceLabel(devices, drives[0]), Before: cdromMedia(&cd), After: iso.path}
		cd.Backing, cd.Connectable = backing, connect
		return []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &cd}}, ch, nil
	}
	var specs []types.BaseVirtualDeviceConfigSpec
	var ctrl types.BaseVirtualController
	if ide, err := devices.FindIDEController(""); err == nil {
		ctrl = ide
	} else {
		sata, err := devices.CreateSATAController()
		if err != nil {
			return nil, Change{}, fmt.Errorf("adding a SATA controller for the CD/DVD drive: %w", err)
		}
		devices = append(devices, sata)
		ctrl = sata.(types.BaseVirtualController)
		specs = append(specs, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: sata})
	}
	cd, err := devices.CreateCdrom(ctrl)
	if err != nil {
		return nil, Change{}, fmt.Errorf("adding a CD/DVD drive: %w", err)
	}
	cd.Key = devices.NewKey()
	cd.Backing, cd.Connectable = backing, connect
	specs = append(specs, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: cd})
	return specs, Change{Item: "CD/DVD drive (added)", Before: "(no drive)", After: iso.path}, nil
}

// ejectISO returns the change that empties the VM's CD/DVD drive holding an
// ISO; none when no drive holds one.
func ejectISO(devices object.VirtualDeviceList) ([]types.BaseVirtualDeviceConfigSpec, []Change) {
	var specs []types.BaseVirtualDeviceConfigSpec
	var changes []Change
	for _, d := range devices.SelectByType((*types.VirtualCdrom)(nil)) {
		cd := *d.(*types.VirtualCdrom)
		if _, ok := cd.Backing.(*types.VirtualCdromIsoBackingInfo); !ok {
			continue
		}
		changes = append(changes, Change{Item: deviceLabel(devices, d), Before: cdromMedia(&cd), After: "(empty)"})
		// A client device, as the vSphere Client's eject leaves it: needs no host drive.
		cd.Backing = &types.VirtualCdromRemotePassthroughBackingInfo{
			VirtualDeviceRemoteDeviceBackingInfo: types.VirtualDeviceRemoteDeviceBackingInfo{DeviceName: ""},
		}
		cd.Connectable = &types.VirtualDeviceConnectInfo{AllowGuestControl: true}
		specs = append(specs, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &cd})
	}
	return specs, changes
}

// cdromMedia says what a CD/DVD drive holds.
func cdromMedia(cd *types.VirtualCdrom) string {
	if b, ok := cd.Backing.(*types.VirtualCdromIsoBackingInfo); ok {
		return b.FileName
	}
	return "(empty)"
}

// newVMWithISO adds, to a new VM's device changes, an IDE controller and a
// CD/DVD drive holding iso, connected at power-on (create_vm's iso).
func newVMWithISO(changes []types.BaseVirtualDeviceConfigSpec, iso *isoFile) ([]types.BaseVirtualDeviceConfigSpec, error) {
	var devices object.VirtualDeviceList
	for _, ch := range changes {
		devices = append(devices, ch.GetVirtualDeviceConfigSpec().Device)
	}
	ide, err := devices.CreateIDEController()
	if err != nil {
		return nil, err
	}
	devices = append(devices, ide)
	cd, err := devices.CreateCdrom(ide.(types.BaseVirtualController))
	if err != nil {
		return nil, err
	}
	cd.Key = devices.NewKey()
	cd.Backing = &types.VirtualCdromIsoBackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: iso.path, Datastore: &iso.datastore}}
	cd.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true}
	return append(changes,
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: ide},
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: cd},
	), nil
}

// createISO is create_vm's hook: it checks the ISO where the new VM goes and
// adds the drive that holds it to spec.
func (c *Client) createISO(ctx context.Context, pi *placementInventory, t *target, iso string, spec *types.VirtualMachineConfigSpec) error {
	if iso == "" {
		return nil
	}
	reachable := t.compute.datastores
	if t.host != nil {
		reachable = pi.hosts[*t.host].datastores
	}
	f, err := c.checkISO(ctx, pi, "iso", iso, reachable, pi.where(&t.compute, t.host))
	if err != nil {
		return err
	}
	spec.DeviceChange, err = newVMWithISO(spec.DeviceChange, f)
	return err
}
