package vsphere

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// deviceLabel is a device's label as vSphere shows it ("Hard disk 1"), else govmomi's name for it.
func deviceLabel(devices object.VirtualDeviceList, d types.BaseVirtualDevice) string {
	if di := d.GetVirtualDevice().DeviceInfo; di != nil && di.GetDescription() != nil && di.GetDescription().Label != "" {
		return di.GetDescription().Label
	}
	return devices.Name(d)
}

// findDevice finds the one device of a kind by its label (or govmomi's name for it), ignoring case.
func findDevice(devices object.VirtualDeviceList, kind types.BaseVirtualDevice, field, noun, label string) (types.BaseVirtualDevice, error) {
	all := devices.SelectByType(kind)
	labels := make([]string, 0, len(all))
	for _, d := range all {
		l := deviceLabel(devices, d)
		labels = append(labels, l)
		if strings.EqualFold(l, strings.TrimSpace(label)) || devices.Name(d) == label {
			return d, nil
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%s %q: the VM has no %s", field, label, noun)
	}
	return nil, fmt.Errorf("%s %q: no %s has that label; the VM's: %s", field, label, noun, strings.Join(labels, ", "))
}

func gbText(bytes int64) string {
	return strconv.FormatFloat(float64(bytes)/(1<<30), 'f', -1, 64) + " GB"
}

// disks plans a new disk and a grown one.
func (pl *reconfigurePlan) disks(s *ReconfigureSpec) error {
	if s.GrowDisk != "" {
		d, err := findDevice(pl.devices, (*types.VirtualDisk)(nil), "grow_disk", "disk", s.GrowDisk)
		if err != nil {
			return err
		}
		disk := *d.(*types.VirtualDisk)
		before, after := diskBytes(&disk), int64(s.GrowDiskGB)<<30
		label := deviceLabel(pl.devices, d)
		switch {
		case after < before:
			return fmt.Errorf("grow_disk_gb %d is smaller than %s (%s): a disk is never shrunk; give a larger size", s.GrowDiskGB, label, gbText(before))
		case after > before:
			if pl.vm.Snapshot != nil && len(pl.vm.Snapshot.RootSnapshotList) > 0 {
				return fmt.Errorf("%s has snapshots, and vSphere cannot grow a disk that has them; delete them first (delete_snapshot with snapshot: \"*\")", refOf(pl.v))
			}
			disk.CapacityInBytes, disk.CapacityInKB = after, after>>10
			pl.spec.DeviceChange = append(pl.spec.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &disk})
			pl.changes = append(pl.changes, Change{Item: label + " size", Before: gbText(before), After: gbText(after)})
			pl.notes = append(pl.notes, fmt.Sprintf("%s grew; the guest OS must still extend its partition and file system", label))
		}
	}
	if s.AddDiskGB == 0 {
		return nil
	}
	t, err := pl.host()
	if err != nil {
		return err
	}
	ds, err := pl.diskDatastore(s.AddDiskDatastore, t)
	if err != nil {
		return err
	}
	ctrl, err := pl.devices.FindSCSIController("")
	var ctrlDev types.BaseVirtualController = ctrl
	if err != nil {
		// No SCSI controller with a free slot: add one (only while the VM is off).
		if pl.running {
			return fmt.Errorf("%s has no SCSI controller with a free slot, and one can be added only while the VM is off; power it off first (power_off_vm)", refOf(pl.v))
		}
		dev, err := pl.devices.CreateSCSIController("lsilogic-sas")
		if err != nil {
			return fmt.Errorf("adding a SCSI controller for the new disk: %w", err)
		}
		pl.devices = append(pl.devices, dev)
		ctrlDev = dev.(types.BaseVirtualController)
		pl.spec.DeviceChange = append(pl.spec.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev})
		pl.changes = append(pl.changes, Change{Item: "SCSI controller", Before: "(none free)", After: "added (LSI Logic SAS)"})
	}
	disk := pl.devices.CreateDisk(ctrlDev, ds.Ref, "")
	disk.Key = pl.devices.NewKey()
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if home, ok := homeDatastore(pl.vm.Config.Files.VmPathName); !ok || home != ds.Name {
		b.FileName = fmt.Sprintf("[%s]", ds.Name) // vSphere makes the file in a folder named for the VM there
	}
	prov := s.AddDiskProvisioning
	switch prov {
	case "", ProvisionThin:
		prov = ProvisionThin
	case ProvisionThick:
		b.ThinProvisioned = types.NewBool(false)
	case ProvisionThickEager:
		b.ThinProvisioned, b.EagerlyScrub = types.NewBool(false), types.NewBool(true)
	}
	disk.CapacityInKB = int64(s.AddDiskGB) << 20
	pl.devices = append(pl.devices, disk)
	pl.spec.DeviceChange = append(pl.spec.DeviceChange, &types.VirtualDeviceConfigSpec{
		Operation: types.VirtualDeviceConfigSpecOperationAdd, FileOperation: types.VirtualDeviceConfigSpecFileOperationCreate, Device: disk,
	})
	pl.changes = append(pl.changes, Change{Item: "new disk", Before: "(none)", After: fmt.Sprintf("%d GB %s on %s", s.AddDiskGB, prov, ds.Name)})
	return nil
}

// diskDatastore is the named datastore, else the VM's home datastore; usable from the VM's host.
func (pl *reconfigurePlan) diskDatastore(name string, t *target) (Named, error) {
	reachable := pl.pi.hosts[*t.host].datastores
	where := pl.pi.where(&t.compute, t.host)
	if name != "" {
		return pl.pi.resolveDatastore(name, types.ManagedObjectReference{}, reachable, nil, where)
	}
	home, _ := homeDatastore(pl.vm.Config.Files.VmPathName)
	for r, d := range pl.pi.datastores {
		if d.name == home {
			ds, err := pl.pi.resolveDatastore("", r, reachable, nil, where)
			if err != nil {
				return Named{}, fmt.Errorf("the new disk would go on the VM's home datastore: %w", err)
			}
			return ds, nil
		}
	}
	return Named{}, fmt.Errorf("the VM's home datastore %q is not in datacenter %s; pass add_disk_datastore", home, pl.pi.dc.Name)
}

func homeDatastore(vmx string) (string, bool) {
	var p object.DatastorePath
	if !p.FromString(vmx) {
		return "", false
	}
	return p.Datastore, true
}

// nics plans a new adapter and changes to an existing one.
func (pl *reconfigurePlan) nics(s *ReconfigureSpec) error {
	if s.NIC != "" || s.NICNetwork != "" || s.NICConnected != nil {
		if err := pl.editNIC(s); err != nil {
			return err
		}
	}
	if s.AddNICNetwork == "" {
		return nil
	}
	t, err := pl.host()
	if err != nil {
		return err
	}
	net, err := pl.pi.resolveNetwork(s.AddNICNetwork, Named{}, t)
	if err != nil {
		return fmt.Errorf("add_nic_network: %w", err)
	}
	backing, err := pl.pi.nicBacking(net)
	if err != nil {
		return err
	}
	dev, err := pl.devices.CreateEthernetCard(nicType(pl.vm.Config.GuestId), backing)
	if err != nil {
		return fmt.Errorf("building the network adapter: %w", err)
	}
	card := dev.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	card.Key = pl.devices.NewKey()
	card.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true, Connected: pl.running}
	pl.devices = append(pl.devices, dev)
	pl.spec.DeviceChange = append(pl.spec.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev})
	pl.changes = append(pl.changes, Change{Item: "new network adapter", Before: "(none)", After: fmt.Sprintf("%s on %s %s", adapterType(dev), net.kind(), net.name)})
	return nil
}

// editNIC plans a network change and a connect or disconnect of one adapter:
// the one labelled nic, or the VM's only adapter.
func (pl *reconfigurePlan) editNIC(s *ReconfigureSpec) error {
	var d types.BaseVirtualDevice
	all := pl.devices.SelectByType((*types.VirtualEthernetCard)(nil))
	switch {
	case s.NIC != "":
		var err error
		if d, err = findDevice(pl.devices, (*types.VirtualEthernetCard)(nil), "nic", "network adapter", s.NIC); err != nil {
			return err
		}
	case len(all) == 1:
		d = all[0]
	case len(all) == 0:
		return fmt.Errorf("%s has no network adapter to change; add one with add_nic_network", refOf(pl.v))
	default:
		labels := make([]string, len(all))
		for i, x := range all {
			labels[i] = deviceLabel(pl.devices, x)
		}
		return fmt.Errorf("%s has %d network adapters: say which with nic (one of %s)", refOf(pl.v), len(all), strings.Join(labels, ", "))
	}
	label := deviceLabel(pl.devices, d)
	card := d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	edited := false
	if s.NICNetwork != "" {
		t, err := pl.host()
		if err != nil {
			return err
		}
		net, err := pl.pi.resolveNetwork(s.NICNetwork, Named{}, t)
		if err != nil {
			return fmt.Errorf("nic_network: %w", err)
		}
		_, nics := devicesOf([]types.BaseVirtualDevice{d}, func(types.ManagedObjectReference) string { return "" }, pl.pi.networkNames())
		if before := nics[0].Network; before != net.name {
			backing, err := pl.pi.nicBacking(net)
			if err != nil {
				return err
			}
			card.Backing, edited = backing, true
			pl.changes = append(pl.changes, Change{Item: label + " network", Before: orDefault(before, "(none)"), After: net.name})
		}
	}
	if s.NICConnected != nil {
		conn := types.VirtualDeviceConnectInfo{AllowGuestControl: true}
		if card.Connectable != nil {
			conn = *card.Connectable
		}
		want := *s.NICConnected
		if pl.running && conn.Connected != want {
			pl.changes = append(pl.changes, Change{Item: label + " connected", Before: strconv.FormatBool(conn.Connected), After: strconv.FormatBool(want)})
			edited = true
		}
		if conn.StartConnected != want {
			pl.changes = append(pl.changes, Change{Item: label + " connect at power on", Before: strconv.FormatBool(conn.StartConnected), After: strconv.FormatBool(want)})
			edited = true
		}
		if !pl.running && conn.StartConnected != want {
			pl.notes = append(pl.notes, fmt.Sprintf("the VM is off: %s connects (or not) when it powers on", label))
		}
		conn.StartConnected = want
		conn.Connected = want && pl.running
		card.Connectable = &conn
	}
	if edited {
		pl.spec.DeviceChange = append(pl.spec.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: d})
	}
	return nil
}

// iso plans mounting or ejecting install media.
func (pl *reconfigurePlan) iso(ctx context.Context, s *ReconfigureSpec) error {
	if s.ISO == nil {
		return nil
	}
	if *s.ISO == "" {
		specs, changes := ejectISO(pl.devices)
		pl.spec.DeviceChange = append(pl.spec.DeviceChange, specs...)
		pl.changes = append(pl.changes, changes...)
		return nil
	}
	t, err := pl.host()
	if err != nil {
		return err
	}
	f, err := pl.c.checkISO(ctx, pl.pi, "iso", *s.ISO, pl.pi.hosts[*t.host].datastores, pl.pi.where(&t.compute, t.host))
	if err != nil {
		return err
	}
	for _, d := range pl.devices.SelectByType((*types.VirtualCdrom)(nil)) {
		if cdromMedia(d.(*types.VirtualCdrom)) == f.path {
			return nil // already mounted
		}
	}
	if len(pl.devices.SelectByType((*types.VirtualCdrom)(nil))) == 0 && pl.running {
		return fmt.Errorf("%s has no CD/DVD drive, and one can be added only while the VM is off; power it off first (power_off_vm)", refOf(pl.v))
	}
	specs, ch, err := mountISO(pl.devices, f, pl.running)
	if err != nil {
		return err
	}
	pl.spec.DeviceChange = append(pl.spec.DeviceChange, specs...)
	pl.changes = append(pl.changes, ch)
	return nil
}
