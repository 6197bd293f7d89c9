package vsphere

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// VMDetail is one VM in depth.
type VMDetail struct {
	VMSummary
	CoresPerSocket     int32        `json:"cores_per_socket"`
	GuestID            string       `json:"guest_id" jsonschema:"configured guest OS identifier, e.g. ubuntu64Guest"`
	GuestHostname      string       `json:"guest_hostname,omitempty" jsonschema:"host name reported by VMware Tools"`
	IPAddresses        []string     `json:"ip_addresses" jsonschema:"every guest IP address reported by VMware Tools"`
	ToolsStatus        string       `json:"tools_status,omitempty" jsonschema:"e.g. toolsOk, toolsOld, toolsNotRunning, toolsNotInstalled"`
	ToolsRunningStatus string       `json:"tools_running_status,omitempty" jsonschema:"guestToolsRunning when guest operations (guest shutdown, reboot) are possible"`
	ResourcePool       string       `json:"resource_pool,omitempty" jsonschema:"inventory path of its resource pool (none for a template)"`
	Folder             string       `json:"folder" jsonschema:"inventory path of its folder"`
	Datastores         []string     `json:"datastores"`
	Disks              []VMDisk     `json:"disks"`
	NICs               []VMNIC      `json:"nics"`
	Snapshots          []VMSnapshot `json:"snapshots" jsonschema:"the snapshot tree, parents before children"`
	CurrentSnapshot    string       `json:"current_snapshot,omitempty" jsonschema:"id of the snapshot the VM runs from"`
	Annotation         string       `json:"annotation,omitempty" jsonschema:"the VM's notes"`
	VMXPath            string       `json:"vmx_path" jsonschema:"configuration file on its datastore"`
	HardwareVersion    string       `json:"hardware_version,omitempty"`
	BootTime           string       `json:"boot_time,omitempty" jsonschema:"when it was last powered on (RFC 3339)"`
}

// VMSnapshot is one snapshot of a VM.
type VMSnapshot struct {
	ID          string `json:"id" jsonschema:"managed object id of the snapshot"`
	Name        string `json:"name"`
	Path        string `json:"path" jsonschema:"names from the root snapshot down, joined with /"`
	Parent      string `json:"parent,omitempty" jsonschema:"id of the parent snapshot"`
	Description string `json:"description,omitempty"`
	Created     string `json:"created" jsonschema:"RFC 3339"`
	PowerState  string `json:"power_state" jsonschema:"the VM's power state when it was taken"`
	Quiesced    bool   `json:"quiesced"`
	Current     bool   `json:"current"`
}

var vmDetailProps = []string{
	"resourcePool", "datastore", "network", "snapshot", "runtime.bootTime",
	"config.hardware.numCoresPerSocket", "config.hardware.device", "config.guestId", "config.annotation",
	"config.files.vmPathName", "config.version",
	"guest.toolsStatus", "guest.toolsRunningStatus", "guest.net", "guest.hostName",
}

// GetVM describes one VM in depth: the lookup and the names of its datastores
// and networks come from the inventory mirror; its details cost one
// retrieval — one SOAP request whatever the inventory size.
func (c *Client) GetVM(ctx context.Context, reference string) (*VMDetail, error) {
	inv, v, err := c.lookupVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	vm, err := c.retrieveVM(ctx, v.ref, vmDetailProps)
	if err != nil {
		return nil, describeFault(fmt.Sprintf("reading %s", refOf(v)), err)
	}
	d := &VMDetail{VMSummary: *v, Folder: inv.path(inv.nodes[v.ref].parent), IPAddresses: []string{}, Datastores: []string{}, Snapshots: []VMSnapshot{}}
	if vm.ResourcePool != nil {
		d.ResourcePool = inv.path(*vm.ResourcePool)
	}
	if t := vm.Runtime.BootTime; t != nil {
		d.BootTime = t.UTC().Format(time.RFC3339)
	}
	if g := vm.Guest; g != nil {
		d.ToolsStatus, d.ToolsRunningStatus, d.GuestHostname = string(g.ToolsStatus), g.ToolsRunningStatus, g.HostName
		for _, n := range g.Net {
			d.IPAddresses = append(d.IPAddresses, n.IpAddress...)
		}
	}
	if v.IPAddress != "" && !slices.Contains(d.IPAddresses, v.IPAddress) {
		d.IPAddresses = append([]string{v.IPAddress}, d.IPAddresses...)
	}
	names, nets, err := c.namesFromMirror(ctx, append(slices.Clone(vm.Datastore), vm.Network...))
	if err != nil {
		return nil, describeFault(fmt.Sprintf("reading the datastores and networks of %s", refOf(v)), err)
	}
	for _, ds := range vm.Datastore {
		d.Datastores = append(d.Datastores, names[ds])
	}
	if cfg := vm.Config; cfg != nil {
		d.GuestID, d.Annotation = cfg.GuestId, cfg.Annotation
		if n := cfg.Hardware.NumCoresPerSocket; n != nil {
			d.CoresPerSocket = *n
		}
		d.VMXPath, d.HardwareVersion = cfg.Files.VmPathName, cfg.Version
		d.Disks, d.NICs = devicesOf(cfg.Hardware.Device, func(r types.ManagedObjectReference) string { return names[r] }, nets)
	} else {
		d.Disks, d.NICs = []VMDisk{}, []VMNIC{}
	}
	if s := vm.Snapshot; s != nil {
		if s.CurrentSnapshot != nil {
			d.CurrentSnapshot = s.CurrentSnapshot.Value
		}
		d.Snapshots = flattenSnapshots(d.Snapshots, s.RootSnapshotList, "", "", d.CurrentSnapshot)
	}
	return d, nil
}

func flattenSnapshots(out []VMSnapshot, tree []types.VirtualMachineSnapshotTree, parent, path, current string) []VMSnapshot {
	for _, n := range tree {
		p := n.Name
		if path != "" {
			p = path + "/" + n.Name
		}
		out = append(out, VMSnapshot{
			ID: n.Snapshot.Value, Name: n.Name, Path: p, Parent: parent, Description: n.Description,
			Created: n.CreateTime.UTC().Format(time.RFC3339), PowerState: string(n.State), Quiesced: n.Quiesced,
			Current: n.Snapshot.Value == current,
		})
		out = flattenSnapshots(out, n.ChildSnapshotList, n.Snapshot.Value, p, current)
	}
	return out
}
