package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// CloneVMSpec is a clone of a VM or template.
type CloneVMSpec struct {
	Source   string // reference to the VM or template to clone
	Name     string
	PowerOn  bool
	Linked   bool // a linked clone from the source's current snapshot
	CPUs     int  // 0: as the source
	MemoryMB int  // 0: as the source
	// Placement: Folder, ResourcePool, Host and Datastore apply.
	Placement PlacementArgs
	// Customize gives the clone its own identity and network (see vm_customize.go).
	Customize *Customization
}

// ClonedVM is the clone, as vSphere reports it afterwards.
type ClonedVM struct {
	VM             NewVM  `json:"vm"`
	Source         VMRef  `json:"source"`
	SourceTemplate bool   `json:"source_is_template"`
	Linked         bool   `json:"linked" jsonschema:"a linked clone, sharing the source's disks up to the snapshot"`
	Snapshot       string `json:"snapshot,omitempty" jsonschema:"the source snapshot a linked clone is based on"`
	// Customization is set when the clone was customized (see vm_customize.go).
	Customization *CustomizationSummary `json:"customization,omitempty" jsonschema:"the guest customization vCenter applies at the clone's first boot"`
}

func (s *CloneVMSpec) validate() error {
	errs := []error{ValidateVMName("new_name", s.Name)}
	if s.CPUs != 0 {
		errs = append(errs, validateCPUs(s.CPUs, 0, ""))
	}
	if s.MemoryMB != 0 {
		errs = append(errs, validateMemory(s.MemoryMB))
	}
	return errors.Join(errs...)
}

// CloneVM clones a VM or template. Placement defaults: the source's folder;
// the source's pool (a template has none: the default pool); the source's
// datastore, never silently another.
func (c *Client) CloneVM(ctx context.Context, s CloneVMSpec, p Progress) (*ClonedVM, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if !c.IsVCenter() {
		return nil, fmt.Errorf("cloning needs vCenter: this endpoint is a standalone ESXi host, which has no clone operation; use create_vm instead")
	}
	inv, src, err := c.lookupVM(ctx, s.Source)
	if err != nil {
		return nil, err
	}
	source, err := c.retrieveVM(ctx, src.ref, []string{"resourcePool", "config.files.vmPathName", "snapshot"})
	if err != nil {
		return nil, fmt.Errorf("reading the source %s: %w", refOf(src), err)
	}
	out := &ClonedVM{Source: refOf(src), SourceTemplate: src.Template, Linked: s.Linked}
	var snapshot *types.ManagedObjectReference
	if s.Linked {
		if source.Snapshot == nil || source.Snapshot.CurrentSnapshot == nil {
			return nil, fmt.Errorf("%s has no snapshot: a linked clone is made from the source's current snapshot; take a snapshot of it first (in the vSphere Client), or clone without linked", refOf(src))
		}
		snapshot = source.Snapshot.CurrentSnapshot
		out.Snapshot = snapshotName(source.Snapshot.RootSnapshotList, *snapshot)
	}

	pi, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	def := targetDefaults{folder: inv.nodes[src.ref].parent}
	if source.ResourcePool != nil {
		def.pool = *source.ResourcePool
	}
	if def.folder.Type == "VirtualApp" {
		// A VM in a vApp has the vApp, not a folder, as its parent; vSphere
		// takes a clone's folder and pool apart: the vApp's folder, and the
		// vApp as the pool, so the clone joins the same vApp.
		def.folder, def.pool = pi.folderOfVApp(def.folder), def.folder
	}
	if s.Placement.Datastore == "" && source.Config != nil {
		var dp object.DatastorePath
		if dp.FromString(source.Config.Files.VmPathName) {
			for r, d := range pi.datastores {
				if d.name == dp.Datastore {
					def.datastore = r
				}
			}
		}
	}
	s.Placement.Cluster, s.Placement.Network = "", "" // a clone keeps the source's NICs; its pool or host sets its cluster
	t, err := pi.resolveTarget(s.Placement, def, c.Defaults)
	if err != nil {
		return nil, err
	}
	cpus := s.CPUs
	if cpus == 0 {
		cpus = int(src.CPUs)
	}
	if err := validateCPUs(cpus, t.maxVCPUs, t.maxWhere); err != nil {
		return nil, err
	}
	if err := c.checkNameFree(ctx, pi, t.folder, s.Name); err != nil {
		return nil, err
	}

	spec := s.cloneSpec(t, snapshot)
	if spec.Customization, out.Customization, err = c.customizationFor(ctx, s.Customize, src, s.Name); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("cloning %s to %s", refOf(src), s.Name)
	tr := newTracker(p, 1)
	vm, folder := object.NewVirtualMachine(c.vim, src.ref), object.NewFolder(c.vim, t.folder)
	task, ref, err := c.makeVM(ctx, what, s.Name, tr, func(ctx context.Context) (*object.Task, error) {
		return vm.Clone(ctx, folder, s.Name, spec)
	})
	if err != nil {
		return nil, err
	}
	nv, err := c.readNewVM(ctx, ref, pi)
	if err != nil {
		nv = c.unreadNewVM(ref, s.Name, pi, t, err)
	}
	if err := c.keepNewVM(ctx, what, s.Name, task, ref); err != nil {
		return nil, err
	}
	nv.Task = task.Reference().Value
	nv.Notes = append(nv.Notes, t.notes...)
	if s.Placement.Datastore == "" {
		nv.Notes = append(nv.Notes, "placed on the source's datastore "+t.datastore.Name)
	}
	out.VM = *nv
	return out, nil
}

func (s *CloneVMSpec) cloneSpec(t *target, snapshot *types.ManagedObjectReference) types.VirtualMachineCloneSpec {
	pool := t.pool
	spec := types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &pool, Host: t.host},
		PowerOn:  s.PowerOn,
		Snapshot: snapshot,
	}
	// Without a datastore argument the clone stays on the source's datastore:
	// vSphere keeps it there when the relocate spec names none.
	if s.Placement.Datastore != "" {
		ds := t.datastore.Ref
		spec.Location.Datastore = &ds
	}
	if s.Linked {
		spec.Location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
	}
	if s.CPUs != 0 || s.MemoryMB != 0 {
		spec.Config = &types.VirtualMachineConfigSpec{NumCPUs: int32(s.CPUs), MemoryMB: int64(s.MemoryMB)}
	}
	return spec
}

func snapshotName(tree []types.VirtualMachineSnapshotTree, ref types.ManagedObjectReference) string {
	for _, n := range tree {
		if n.Snapshot == ref {
			return n.Name
		}
		if name := snapshotName(n.ChildSnapshotList, ref); name != "" {
			return name
		}
	}
	return ""
}
