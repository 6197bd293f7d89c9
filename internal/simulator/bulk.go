package simulator

import (
	"context"
	"fmt"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// bulkWorkers is how many CreateVM calls AddVMs keeps going at once.
const bulkWorkers = 8

// BulkVMName is the name of the i-th VM AddVMs creates (from 0).
func BulkVMName(i int) string { return fmt.Sprintf("bulk-vm-%05d", i) }

// AddVMs adds n small, powered-off VMs named BulkVMName(0..n-1), spread over
// the first datacenter's clusters, to build an inventory of thousands of VMs
// in about a minute. Waiting on each CreateVM task through the property
// collector is what makes large models slow (each wait wakes on a 20 ms
// timer, and many waiters on one session slow each other down), so the tasks
// are started from several goroutines and their outcome is read at the end
// in a few retrievals; only a task still running then is waited on.
func (s *Simulator) AddVMs(ctx context.Context, n int) error {
	c, err := s.Client(ctx)
	if err != nil {
		return fmt.Errorf("adding VMs: logging in to the simulator: %w", err)
	}
	defer func() { _ = session.NewManager(c).Logout(ctx) }()

	var (
		dcs      []mo.Datacenter
		clusters []mo.ComputeResource
		dss      []mo.Datastore
	)
	root := c.ServiceContent.RootFolder
	if err := retrieve(ctx, c, root, "Datacenter", []string{"vmFolder"}, &dcs); err != nil {
		return fmt.Errorf("adding VMs: %w", err)
	}
	if err := retrieve(ctx, c, root, "ClusterComputeResource", []string{"resourcePool"}, &clusters); err != nil || len(clusters) == 0 {
		if err := retrieve(ctx, c, root, "ComputeResource", []string{"resourcePool"}, &clusters); err != nil {
			return fmt.Errorf("adding VMs: %w", err)
		}
	}
	if err := retrieve(ctx, c, root, "Datastore", []string{"name"}, &dss); err != nil {
		return fmt.Errorf("adding VMs: %w", err)
	}
	if len(dcs) == 0 || len(clusters) == 0 || len(dss) == 0 {
		return fmt.Errorf("adding VMs: the model has no datacenter, compute resource or datastore")
	}

	tasks := make([]types.ManagedObjectReference, n)
	errs := make(chan error, bulkWorkers)
	next := make(chan int)
	var wg sync.WaitGroup
	for range bulkWorkers {
		wg.Go(func() {
			for i := range next {
				name := BulkVMName(i)
				res, err := methods.CreateVM_Task(ctx, c, &types.CreateVM_Task{
					This: dcs[0].VmFolder,
					Config: types.VirtualMachineConfigSpec{
						Name: name, GuestId: string(types.VirtualMachineGuestOsIdentifierOtherGuest64),
						NumCPUs: 1, MemoryMB: 128,
						Files: &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] %s", dss[i%len(dss)].Name, name)},
					},
					Pool: *clusters[i%len(clusters)].ResourcePool,
				})
				if err != nil {
					errs <- fmt.Errorf("adding VM %s: %w", name, err)
					return
				}
				tasks[i] = res.Returnval
			}
		})
	}
	var failed error
feed:
	for i := range n {
		select {
		case next <- i:
		case failed = <-errs:
			break feed
		case <-ctx.Done():
			failed = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed != nil {
		return failed
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	return checkTasks(ctx, c, tasks)
}

// checkTasks reads the outcome of many tasks in a few retrievals and waits
// only on those still running.
func checkTasks(ctx context.Context, c *vim25.Client, refs []types.ManagedObjectReference) error {
	pc := property.DefaultCollector(c)
	const chunk = 1000
	for len(refs) > 0 {
		part := refs[:min(chunk, len(refs))]
		refs = refs[len(part):]
		var tasks []mo.Task
		if err := pc.Retrieve(ctx, part, []string{"info"}, &tasks); err != nil {
			return fmt.Errorf("adding VMs: reading their tasks: %w", err)
		}
		for _, t := range tasks {
			switch t.Info.State {
			case types.TaskInfoStateSuccess:
				continue
			case types.TaskInfoStateError:
				msg := "the task failed"
				if t.Info.Error != nil {
					msg = t.Info.Error.LocalizedMessage
				}
				return fmt.Errorf("adding VM %s: %s", t.Info.EntityName, msg)
			}
			if _, err := object.NewTask(c, t.Self).WaitForResult(ctx); err != nil {
				return fmt.Errorf("adding VM %s: %w", t.Info.EntityName, err)
			}
		}
	}
	return nil
}
