package vsphere

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Migration priorities.
const (
	PriorityDefault = "default"
	PriorityHigh    = "high"
	PriorityLow     = "low"
)

// MigrateSpec says where a VM goes; empty fields stay as they are.
type MigrateSpec struct {
	VM           string
	Host         string
	Cluster      string
	ResourcePool string
	Datastore    string
	Folder       string
	Priority     string // default (""), high or low
}

// MigrateResult is the outcome of migrate_vm.
type MigrateResult struct {
	VM         VMRef    `json:"vm"`
	Kind       string   `json:"kind" jsonschema:"vMotion (live compute migration), cold migration, Storage vMotion, vMotion + Storage vMotion, cold migration + storage, folder move, or none"`
	Changed    bool     `json:"changed" jsonschema:"false when the VM already was where asked"`
	Changes    []Change `json:"changes" jsonschema:"host, cluster, resource pool, datastore and folder, before and after"`
	PowerState string   `json:"power_state"`
	Task       string   `json:"task,omitempty" jsonschema:"id of the vSphere relocation task (or of the folder move when that is all there was)"`
	FolderTask string   `json:"folder_task,omitempty" jsonschema:"id of the folder move task, when a relocation came first"`
	Notes      []string `json:"notes"`
}

func (s *MigrateSpec) validate() error {
	if s.Host == "" && s.Cluster == "" && s.ResourcePool == "" && s.Datastore == "" && s.Folder == "" {
		return fmt.Errorf("nothing to migrate: give at least one of host, cluster, resource_pool, datastore or folder")
	}
	switch s.Priority {
	case "", PriorityDefault, PriorityHigh, PriorityLow:
	default:
		return fmt.Errorf("priority must be %s, %s or %s, got %q", PriorityDefault, PriorityHigh, PriorityLow, s.Priority)
	}
	return nil
}

var migrateProps = []string{"name", "parent", "resourcePool", "runtime.host", "runtime.powerState", "datastore", "config.template", "config.files.vmPathName"}

// MigrateVM moves a VM to another host, cluster or pool (vMotion, live when it
// runs), to another datastore (Storage vMotion), both at once, and/or to
// another folder. Everything is resolved and checked before anything moves.
func (c *Client) MigrateVM(ctx context.Context, s MigrateSpec, p Progress) (*MigrateResult, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if !c.IsVCenter() {
		return nil, fmt.Errorf("migration needs vCenter: this endpoint is a standalone ESXi host, which cannot move VMs to another host, datastore or folder")
	}
	v, err := c.FindVM(ctx, s.VM)
	if err != nil {
		return nil, err
	}
	vm, err := c.retrieveVM(ctx, v.ref, migrateProps)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", refOf(v), err)
	}
	pi, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := planMigration(pi, v, vm, &s)
	if err != nil {
		return nil, err
	}
	if pl.folder != nil {
		if err := c.checkNameFree(ctx, pi, *pl.folder, vm.Name); err != nil {
			return nil, err
		}
	}
	out := &MigrateResult{VM: refOf(v), Kind: pl.kind(), Changes: pl.changes, PowerState: string(vm.Runtime.PowerState), Notes: []string{}}
	if len(pl.changes) == 0 {
		return out, nil // already where asked: changed false
	}
	steps := 0
	if pl.relocate {
		steps++
	}
	if pl.folder != nil {
		steps++
	}
	tr := newTracker(p, steps)
	obj := object.NewVirtualMachine(c.vim, v.ref)
	if pl.relocate {
		what := fmt.Sprintf("migrating %s (%s)", refOf(v), out.Kind)
		task, _, err := c.do(ctx, what, tr, func(ctx context.Context) (*object.Task, error) {
			return obj.Relocate(ctx, pl.spec, pl.priority(s.Priority))
		})
		if err != nil {
			return nil, migrationFault(what, err)
		}
		out.Task = task.Reference().Value
	}
	if pl.folder != nil {
		what := fmt.Sprintf("moving %s to folder %s", refOf(v), pi.path(*pl.folder))
		folder := object.NewFolder(c.vim, *pl.folder)
		task, _, err := c.do(ctx, what, tr, func(ctx context.Context) (*object.Task, error) {
			return folder.MoveInto(ctx, []types.ManagedObjectReference{v.ref})
		})
		if err != nil {
			if out.Task != "" {
				return nil, fmt.Errorf("%s was migrated (task %s) but stays in its folder: %w", refOf(v), out.Task, err)
			}
			return nil, err
		}
		if out.Task == "" {
			out.Task = task.Reference().Value
		} else {
			out.FolderTask = task.Reference().Value
		}
		out.VM.Path = pi.path(*pl.folder) + "/" + vm.Name
	}
	out.Changed = true
	return out, nil
}

// migrationPlan is the relocation and folder move a migration needs.
type migrationPlan struct {
	running  bool
	relocate bool
	spec     types.VirtualMachineRelocateSpec
	folder   *types.ManagedObjectReference
	compute  bool // host or pool changes
	storage  bool // datastore changes
	changes  []Change
}

func planMigration(pi *placementInventory, v *VMSummary, vm *mo.VirtualMachine, s *MigrateSpec) (*migrationPlan, error) {
	pl := &migrationPlan{running: vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn, changes: []Change{}}
	template := vm.Config != nil && vm.Config.Template
	if template && (s.ResourcePool != "" || s.Cluster != "") {
		return nil, fmt.Errorf("%s is a template, and templates belong to no resource pool; move it by host, datastore or folder, or convert it with convert_to_vm first", refOf(v))
	}
	var curHost *hostInfo
	if h := vm.Runtime.Host; h != nil {
		if hi, ok := pi.hosts[*h]; ok {
			curHost = &hi
		}
	}
	if curHost == nil && (s.Host != "" || s.Cluster != "" || s.ResourcePool != "" || s.Datastore != "") {
		return nil, fmt.Errorf("the host of %s is not in datacenter %s, which this server works in; it cannot be migrated from here", refOf(v), pi.dc.Name)
	}

	// Compute: host, cluster and pool, checked to fit together.
	var compute *computeInfo
	var host *types.ManagedObjectReference
	if s.Cluster != "" {
		cr, err := pi.resolveCompute(s.Cluster)
		if err != nil {
			return nil, err
		}
		compute = cr
	}
	if s.Host != "" {
		ref, h, err := pi.resolveHost(s.Host)
		if err != nil {
			return nil, err
		}
		hc := pi.computeOf(h.parent)
		if compute != nil && hc != nil && compute.ref != hc.ref {
			return nil, fmt.Errorf("host %q is not in cluster %q; its hosts: %s", s.Host, compute.name, list(pi.hostNames(compute.hosts)))
		}
		compute, host = hc, &ref
	}
	var pool *types.ManagedObjectReference
	if s.ResourcePool != "" {
		p, err := pi.resolvePool(s.ResourcePool, compute)
		if err != nil {
			return nil, err
		}
		pool = &p.ref
		if compute == nil {
			compute = pi.computeOf(p.owner)
		}
	}
	curCompute := pi.computeOf(curHost.parentOrZero())
	if compute != nil && pool == nil && !template && (curCompute == nil || compute.ref != curCompute.ref) {
		root := compute.pool
		pool = &root // a VM that changes cluster goes to the new cluster's root pool
	}
	if host != nil && vm.Runtime.Host != nil && *host == *vm.Runtime.Host {
		host = nil
	}
	if pool != nil && vm.ResourcePool != nil && *pool == *vm.ResourcePool {
		pool = nil
	}
	if host != nil {
		pl.spec.Host = host
		pl.changes = append(pl.changes, Change{Item: "host", Before: curHost.name, After: pi.hosts[*host].name})
	}
	if compute != nil && curCompute != nil && compute.ref != curCompute.ref {
		pl.changes = append(pl.changes, Change{Item: "cluster", Before: curCompute.name, After: compute.name})
	}
	if pool != nil {
		pl.spec.Pool = pool
		before := "(none)"
		if vm.ResourcePool != nil {
			before = pi.path(*vm.ResourcePool)
		}
		pl.changes = append(pl.changes, Change{Item: "resource_pool", Before: before, After: pi.path(*pool)})
	}
	pl.compute = host != nil || pool != nil

	// Storage: the datastore must be usable from where the VM will run.
	if s.Datastore != "" {
		reachable, where := curHost.datastores, "host "+curHost.name
		switch {
		case host != nil:
			reachable, where = pi.hosts[*host].datastores, "host "+pi.hosts[*host].name
		case compute != nil && (curCompute == nil || compute.ref != curCompute.ref):
			reachable, where = compute.datastores, "cluster "+compute.name
		}
		ds, err := pi.resolveDatastore(s.Datastore, types.ManagedObjectReference{}, reachable, nil, where)
		if err != nil {
			return nil, err
		}
		if len(vm.Datastore) != 1 || vm.Datastore[0] != ds.Ref {
			ref := ds.Ref
			pl.spec.Datastore, pl.storage = &ref, true
			pl.changes = append(pl.changes, Change{Item: "datastore", Before: list(pi.datastoreNames(vm.Datastore)), After: ds.Name})
		}
	} else if host != nil {
		// Without a datastore the disks stay: the new host must see them.
		target := pi.hosts[*host]
		for _, d := range vm.Datastore {
			if !slices.Contains(target.datastores, d) {
				return nil, fmt.Errorf("host %s does not mount datastore %s, where the files of %s are; give datastore too (one of %s) to move the files as well",
					target.name, pi.datastores[d].name, refOf(v), list(pi.datastoreNames(target.datastores)))
			}
		}
	}
	pl.relocate = pl.compute || pl.storage

	if s.Folder != "" {
		f, err := pi.resolveFolder(s.Folder, types.ManagedObjectReference{})
		if err != nil {
			return nil, err
		}
		if vm.Parent == nil || *vm.Parent != f {
			before := "(none)"
			if vm.Parent != nil {
				before = pi.path(*vm.Parent)
			}
			pl.folder = &f
			pl.changes = append(pl.changes, Change{Item: "folder", Before: before, After: pi.path(f)})
		}
	}
	return pl, nil
}

func (h *hostInfo) parentOrZero() types.ManagedObjectReference {
	if h == nil {
		return types.ManagedObjectReference{}
	}
	return h.parent
}

// kind names the migration the way vSphere administrators do.
func (pl *migrationPlan) kind() string {
	compute := "cold migration"
	if pl.running {
		compute = "vMotion"
	}
	switch {
	case pl.compute && pl.storage && pl.running:
		return "vMotion + Storage vMotion"
	case pl.compute && pl.storage:
		return "cold migration + storage"
	case pl.compute:
		return compute
	case pl.storage && pl.running:
		return "Storage vMotion"
	case pl.storage:
		return "cold migration (storage)"
	case pl.folder != nil:
		return "folder move"
	}
	return "none"
}

func (pl *migrationPlan) priority(p string) types.VirtualMachineMovePriority {
	switch p {
	case PriorityHigh:
		return types.VirtualMachineMovePriorityHighPriority
	case PriorityLow:
		return types.VirtualMachineMovePriorityLowPriority
	}
	return types.VirtualMachineMovePriorityDefaultPriority
}

// migrationFault says a vMotion compatibility fault (a MigrationFault) in
// words; other errors are as runTask said them.
func migrationFault(what string, err error) error {
	var mf types.BaseMigrationFault
	if _, ok := fault.As(err, &mf); !ok {
		return err
	}
	reason := faultName(mf)
	for _, m := range mf.GetMigrationFault().FaultMessage {
		if m.Message != "" {
			reason += ": " + m.Message
		}
	}
	return &FaultError{What: what, Reason: fmt.Sprintf("the VM cannot move there (vMotion compatibility: %s); choose another host or cluster, or power the VM off for a cold migration", reason), err: err}
}
