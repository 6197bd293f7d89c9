package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// listProps are the VM properties behind one list_vms entry, read the same
// way by the plain client.
var listProps = []string{
	"name", "parent", "parentVApp", "runtime.powerState", "runtime.host", "runtime.connectionState",
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.guestFullName",
	"config.template", "config.uuid", "config.instanceUuid", "guest.ipAddress",
	"guest.toolsRunningStatus",
}

// getProps are the properties of one VM's details (get_vm).
var getProps = []string{"name", "runtime", "config.hardware", "config.guestFullName", "guest", "snapshot", "summary.storage"}

// plainClient is what a careful govmomi program does without a server in
// between: its own session, one container view of every VM kept for the
// session, and only the properties it needs. A VM is found by name by
// reading every VM's name through the view (a program that knows the
// inventory path could use the search index instead).
type plainClient struct {
	c    *vim25.Client
	view *view.ContainerView
	pc   *property.Collector
}

func newPlainClient(ctx context.Context, c *vim25.Client) (*plainClient, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("plain client: creating a container view: %w", err)
	}
	return &plainClient{c: c, view: v, pc: property.DefaultCollector(c)}, nil
}

// names reads every VM's name, sorted by name.
func (p *plainClient) names(ctx context.Context) ([]mo.VirtualMachine, error) {
	var vms []mo.VirtualMachine
	if err := p.view.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &vms); err != nil {
		return nil, fmt.Errorf("plain client: reading VM names: %w", err)
	}
	slices.SortFunc(vms, func(a, b mo.VirtualMachine) int { return strings.Compare(a.Name, b.Name) })
	return vms, nil
}

// page reads the names, then the list properties of the first limit VMs by
// name: two requests. It returns the number of names read.
func (p *plainClient) page(ctx context.Context, limit int) (int, error) {
	vms, err := p.names(ctx)
	if err != nil {
		return 0, err
	}
	refs := make([]types.ManagedObjectReference, 0, limit)
	for _, vm := range vms[:min(limit, len(vms))] {
		refs = append(refs, vm.Self)
	}
	var page []mo.VirtualMachine
	if err := p.pc.Retrieve(ctx, refs, listProps, &page); err != nil {
		return 0, fmt.Errorf("plain client: reading a page of VMs: %w", err)
	}
	return len(vms), nil
}

// everything reads the list properties of every VM in one retrieval.
func (p *plainClient) everything(ctx context.Context) (int, error) {
	var vms []mo.VirtualMachine
	if err := p.view.Retrieve(ctx, []string{"VirtualMachine"}, listProps, &vms); err != nil {
		return 0, fmt.Errorf("plain client: reading every VM: %w", err)
	}
	return len(vms), nil
}

// find returns the VM with this name.
func (p *plainClient) find(ctx context.Context, name string) (types.ManagedObjectReference, error) {
	vms, err := p.names(ctx)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	i, ok := slices.BinarySearchFunc(vms, name, func(vm mo.VirtualMachine, n string) int { return strings.Compare(vm.Name, n) })
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("plain client: no VM named %s", name)
	}
	return vms[i].Self, nil
}

func (p *plainClient) getVM(ctx context.Context, name string) error {
	ref, err := p.find(ctx, name)
	if err != nil {
		return err
	}
	var vm mo.VirtualMachine
	if err := p.pc.RetrieveOne(ctx, ref, getProps, &vm); err != nil {
		return fmt.Errorf("plain client: reading VM %s: %w", name, err)
	}
	return nil
}

// stats reads the latest real-time sample of every counter of a VM.
func (p *plainClient) stats(ctx context.Context, name string) error {
	ref, err := p.find(ctx, name)
	if err != nil {
		return err
	}
	_, err = methods.QueryPerf(ctx, p.c, &types.QueryPerf{
		This:      *p.c.ServiceContent.PerfManager,
		QuerySpec: []types.PerfQuerySpec{{Entity: ref, MaxSample: 1, IntervalId: 20}},
	})
	if err != nil {
		return fmt.Errorf("plain client: querying the stats of VM %s: %w", name, err)
	}
	return nil
}

func (p *plainClient) powerOn(ctx context.Context, name string) error {
	ref, err := p.find(ctx, name)
	if err != nil {
		return err
	}
	task, err := object.NewVirtualMachine(p.c, ref).PowerOn(ctx)
	if err == nil {
		_, err = task.WaitForResult(ctx)
	}
	if err != nil {
		return fmt.Errorf("plain client: powering on VM %s: %w", name, err)
	}
	return nil
}
