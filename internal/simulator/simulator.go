// Package simulator runs govmomi's vCenter (or ESXi) simulator in-process: the
// demo for a new user and the fixture for tests. The server connects to it
// through the same code path as to a real vCenter.
package simulator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// User is the login the embedded simulator accepts (with a random password).
const User = "administrator@vsphere.local"

// TemplateName is the template the demo inventory carries.
const TemplateName = "ubuntu-22.04-template"

// Options shape the simulated inventory.
type Options struct {
	// ESX simulates a standalone ESXi host instead of a vCenter.
	ESX bool
	// VMsPerPool is the number of VMs created in each resource pool (default 2).
	VMsPerPool int
	// SessionTimeout, when set (e.g. "1s"), makes the simulator expire idle sessions.
	SessionTimeout string
	// Nested places the datacenter, and its host and VM folders' contents, inside folders.
	Nested bool
	// OnSOAP, when set, is called with the method name of every SOAP request
	// the simulator serves (e.g. "RetrievePropertiesEx"), for counting in tests.
	OnSOAP func(method string)
	// OnSOAPBody, when set, is called with the method name and the whole
	// SOAP request body, for tests that check what a request carried.
	OnSOAPBody func(method string, body []byte)
	// WrapSOAP, when set, wraps the handler of SOAP requests (POST /sdk), e.g.
	// to meter them or hold some back in tests; see RequestMethod.
	WrapSOAP func(http.Handler) http.Handler
}

// createMu serialises building models: govmomi's simulator appends to a
// package-level license while creating a vCenter model, a data race when
// parallel tests start simulators at once.
var createMu sync.Mutex

// Simulator is a running in-process vCenter or ESXi simulator.
type Simulator struct {
	URL      *url.URL // SDK endpoint, without credentials
	User     string
	Password string
	CAFile   string // PEM of the simulator's TLS certificate

	model   *simulator.Model
	server  *simulator.Server
	cancels *cancels
	delays  *methodDelays
	once    sync.Once
}

// Start creates the inventory and serves it over HTTPS on a loopback port.
func Start(ctx context.Context, opts Options) (*Simulator, error) {
	m := simulator.VPX()
	if opts.ESX {
		m = simulator.ESX()
	} else {
		m.Datastore = 2
		m.OpaqueNetwork = 1
	}
	if opts.Nested {
		m.Folder = 1
	}

	if opts.VMsPerPool > 0 {
		m.Machine = opts.VMsPerPool
	}
	createMu.Lock()
	err := m.Create()
	createMu.Unlock()
	if err != nil {
		m.Remove()
		return nil, fmt.Errorf("creating the simulated inventory: %w", err)
	}
	if opts.SessionTimeout != "" {
		m.Map().OptionManager().UpdateOptions(&types.UpdateOptions{ChangedValue: []types.BaseOptionValue{
			&types.OptionValue{Key: "config.vmacore.soap.sessionTimeout", Value: opts.SessionTimeout},
		}})
	}

	password := randomPassword()
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(User, password)}
	m.Service.TLS = new(tls.Config)
	c := &cancels{m: m, pending: map[*simulator.Task]chan struct{}{}}
	delays := &methodDelays{}
	var sim *Simulator
	observeSOAP(m, opts.OnSOAP, opts.OnSOAPBody, c, opts.WrapSOAP, func(method string, this types.ManagedObjectReference) {
		if method == "MarkAsTemplate" || method == "MarkAsVirtualMachine" {
			sim.Publish(this, "config.template", "resourcePool", "runtime.host")
		}
	}, delays)
	s := m.Service.NewServer()
	sim = &Simulator{User: User, Password: password, model: m, server: s, cancels: c, delays: delays}
	m.Map().AddHandler(&announcer{sim: sim})
	m.Map().AddHandler(&folderWalkLock{m: m, root: m.ServiceContent.RootFolder})
	u := *s.URL
	u.User = nil
	sim.URL = &u

	caFile, err := s.CertificateFile()
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("writing the simulator's certificate: %w", err)
	}
	sim.CAFile = caFile

	if err := sim.seed(ctx); err != nil {
		sim.Close()
		return nil, err
	}
	return sim, nil
}

// Model exposes the simulator model for tests (delays, fault rules).
func (s *Simulator) Model() *simulator.Model { return s.model }

// IsESX reports whether this simulates a standalone ESXi host.
func (s *Simulator) IsESX() bool { return s.model.ServiceContent.About.ApiType == "HostAgent" }

// Close stops the server and removes the simulator's temporary files. It is
// safe to call more than once.
func (s *Simulator) Close() {
	s.once.Do(func() {
		s.server.Close()
		s.model.Remove()
	})
}

// Client logs in to the simulator with a separate session, for tests and
// seeding that must not go through the server under test.
func (s *Simulator) Client(ctx context.Context) (*vim25.Client, error) {
	sc := soap.NewClient(s.URL, true)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := session.NewManager(vc).Login(ctx, url.UserPassword(s.User, s.Password)); err != nil {
		return nil, err
	}
	return vc, nil
}

// seed adds what the stock model lacks for a demo: a template, and a VM that is off.
func (s *Simulator) seed(ctx context.Context) error {
	c, err := s.Client(ctx)
	if err != nil {
		return fmt.Errorf("logging in to the simulator: %w", err)
	}
	defer func() { _ = session.NewManager(c).Logout(ctx) }()

	var (
		vms      []mo.VirtualMachine
		clusters []mo.ComputeResource
		dcs      []mo.Datacenter
		dss      []mo.Datastore
	)
	root := c.ServiceContent.RootFolder
	for _, q := range []struct {
		kind  string
		props []string
		dst   any
	}{
		{"VirtualMachine", []string{"name"}, &vms},
		{"ClusterComputeResource", []string{"name", "resourcePool"}, &clusters},
		{"Datacenter", []string{"name", "vmFolder"}, &dcs},
		{"Datastore", []string{"name"}, &dss},
	} {
		if err := retrieve(ctx, c, root, q.kind, q.props, q.dst); err != nil {
			return fmt.Errorf("seeding the simulator: %w", err)
		}
	}
	if len(vms) == 0 || len(dcs) == 0 || len(dss) == 0 {
		return fmt.Errorf("seeding the simulator: the model has no VM, datacenter or datastore")
	}
	// The last VM is left powered off, so the demo shows both states.
	if task, err := object.NewVirtualMachine(c, vms[len(vms)-1].Self).PowerOff(ctx); err == nil {
		_ = task.Wait(ctx)
	}
	if len(clusters) == 0 {
		// A standalone host's compute resource holds the pool.
		if err := retrieve(ctx, c, root, "ComputeResource", []string{"name", "resourcePool"}, &clusters); err != nil || len(clusters) == 0 {
			return fmt.Errorf("seeding the simulator: no compute resource: %v", err)
		}
	}
	return s.addTemplate(ctx, c, object.NewFolder(c, dcs[0].VmFolder), object.NewResourcePool(c, *clusters[0].ResourcePool), dss[0].Name)
}

func retrieve(ctx context.Context, c *vim25.Client, root types.ManagedObjectReference, kind string, props []string, dst any) error {
	v, err := view.NewManager(c).CreateContainerView(ctx, root, []string{kind}, true)
	if err != nil {
		return err
	}
	defer func() { _ = v.Destroy(ctx) }()
	return v.Retrieve(ctx, []string{kind}, props, dst)
}

func (s *Simulator) addTemplate(ctx context.Context, c *vim25.Client, folder *object.Folder, pool *object.ResourcePool, datastore string) error {
	spec := types.VirtualMachineConfigSpec{
		Name:     TemplateName,
		GuestId:  string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest),
		NumCPUs:  2,
		MemoryMB: 2048,
		Files:    &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] %s", datastore, TemplateName)},
	}
	task, err := folder.CreateVM(ctx, spec, pool, nil)
	if err != nil {
		return fmt.Errorf("seeding the simulator: creating the template: %w", err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return fmt.Errorf("seeding the simulator: creating the template: %w", err)
	}
	vm := object.NewVirtualMachine(c, info.Result.(types.ManagedObjectReference))
	if err := vm.MarkAsTemplate(ctx); err != nil {
		return fmt.Errorf("seeding the simulator: marking the template: %w", err)
	}
	return nil
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Describe summarises the simulated inventory in one line.
func (s *Simulator) Describe() string {
	n := s.model.Count()
	if s.IsESX() {
		return fmt.Sprintf("a standalone ESXi host with %d datastore(s) and %d VM(s) (one is a template)", n.Datastore, n.Machine)
	}
	return fmt.Sprintf("a vCenter with %d datacenter(s), %d cluster(s), %d host(s), %d datastore(s) and %d VM(s) (one is a template)",
		n.Datacenter, n.Cluster, n.Host, n.Datastore, n.Machine)
}
