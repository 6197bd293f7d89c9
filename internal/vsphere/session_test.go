package vsphere

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

type soapCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *soapCounter) on(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[method]++
}

func (c *soapCounter) get(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

func startSim(t *testing.T, opts simulator.Options) (*simulator.Simulator, *soapCounter) {
	t.Helper()
	counter := &soapCounter{n: map[string]int{}}
	opts.OnSOAP = counter.on
	sim, err := simulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, counter
}

func connect(t *testing.T, sim *simulator.Simulator, keepAlive time.Duration) *Client {
	t.Helper()
	return connectWith(t, sim, ConnectOptions{KeepAlive: keepAlive})
}

// connectWith connects with opts (URL and credentials filled in) and waits
// for the inventory mirror's first fill, so SOAP counts start after it.
func connectWith(t *testing.T, sim *simulator.Simulator, opts ConnectOptions) *Client {
	t.Helper()
	opts.URL, opts.User, opts.Password, opts.CAFile = sim.URL, sim.User, sim.Password, sim.CAFile
	c, err := Connect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Mirror().WaitFilled(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// waitRecovered waits until the mirror's stream has broken and recovered
// more than `before` times and is live again.
func waitRecovered(t *testing.T, c *Client, before int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.Mirror().Recoveries() <= before || !c.Mirror().State().Live {
		if time.Now().After(deadline) {
			t.Fatalf("the inventory stream did not recover (recoveries %d, state %+v)", c.Mirror().Recoveries(), c.Mirror().State())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConnectErrors(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name string
		opts ConnectOptions
		want []string
	}{
		{"unreachable", ConnectOptions{URL: &url.URL{Scheme: "https", Host: deadAddr, Path: "/sdk"}, User: sim.User, Password: sim.Password},
			[]string{"cannot reach vCenter at " + deadAddr, "refused"}},
		{"untrusted certificate", ConnectOptions{URL: sim.URL, User: sim.User, Password: sim.Password},
			[]string{"TLS verification", "ca_file", "insecure: true"}},
		{"bad credentials", ConnectOptions{URL: sim.URL, User: sim.User, Password: "wrong-password", CAFile: sim.CAFile},
			[]string{"rejected the login", sim.User, "vcenter_password"}},
		{"unknown user", ConnectOptions{URL: sim.URL, User: "nobody", Password: sim.Password, CAFile: sim.CAFile},
			[]string{"rejected the login", `"nobody"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Connect(ctx, tt.opts)
			if err == nil {
				_ = c.Close(ctx)
				t.Fatal("connected, want an error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, sim.Password) || strings.Contains(msg, "\n") {
				t.Errorf("error reveals the password or spans lines: %q", msg)
			}
		})
	}
}

func TestInsecureSkipsVerification(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	c, err := Connect(context.Background(), ConnectOptions{URL: sim.URL, User: sim.User, Password: sim.Password, Insecure: true})
	if err != nil {
		t.Fatalf("insecure connect: %v", err)
	}
	_ = c.Close(context.Background())
}

// TestSessionExpiryRecovery: the simulator expires idle sessions after 1 s; a
// call after expiry succeeds through a transparent re-login. Listing first
// also proves the inventory view, which dies with its session, is recreated.
// (The simulator serves property retrievals without a session, unlike vCenter:
// there the retrieval on the dead view fails, and creating the new view is the
// call that re-logs in.)
// TestSessionExpiryRecovery: the mirror's wait outlives the simulator's 1-s
// idle timeout, so vCenter drops the session under it; the stream logs in
// again (once), re-reads the inventory with a new collector, and goes on
// reporting changes.
func TestSessionExpiryRecovery(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{SessionTimeout: "1s"})
	base := counter.get("Login") // the simulator's own seeding session
	c := connectWith(t, sim, ConnectOptions{KeepAlive: -1, Inventory: inventory.Options{MaxWait: 2 * time.Second, MinBackoff: 10 * time.Millisecond}})
	ctx := context.Background()
	if got := counter.get("Login") - base; got != 1 {
		t.Fatalf("logins before expiry = %d, want 1", got)
	}
	waitRecovered(t, c, 0)
	if got := counter.get("Login") - base; got < 2 {
		t.Errorf("logins after expiry = %d, want a re-login", got)
	}
	renameBehindBack(t, sim, "DC0_H0_VM0", "renamed-after-expiry")
	if err := c.Mirror().Fence(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindVM(ctx, "renamed-after-expiry"); err != nil {
		t.Errorf("a change after the recovery is not seen: %v", err)
	}
	if _, err := c.ResolvePlacement(ctx, PlacementNames{Network: "VM Network"}); err != nil {
		t.Errorf("placement after re-login: %v", err)
	}
}

// TestNotAuthenticatedOnStreamRelogsIn: when vCenter answers the mirror's
// WaitForUpdatesEx with NotAuthenticated (as it does for an expired session),
// the client logs in again once, and the mirror starts a new stream.
func TestNotAuthenticatedOnStreamRelogsIn(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{})
	base := counter.get("Login")
	c := connectWith(t, sim, ConnectOptions{KeepAlive: -1, Inventory: inventory.Options{MaxWait: time.Second, MinBackoff: 10 * time.Millisecond}})
	sim.FaultOnce(&vsim.FaultInjectionRule{
		MethodName: "WaitForUpdatesEx", ObjectType: "*", ObjectName: "*",
		Probability: 1, FaultType: vsim.FaultTypeNotAuthenticated,
	})
	t.Cleanup(sim.Model().Service.ClearFaultRules)
	waitRecovered(t, c, 0)
	list, err := c.ListVMs(context.Background(), ListFilter{}, 0, "")
	if err != nil || list.Total == 0 {
		t.Fatalf("list after NotAuthenticated: %+v, %v", list, err)
	}
	if got := counter.get("Login") - base; got != 2 {
		t.Errorf("logins = %d, want 2 (the first, and one re-login)", got)
	}
}

func renameBehindBack(t *testing.T, sim *simulator.Simulator, from, to string) {
	t.Helper()
	ctx := context.Background()
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := find.NewFinder(vc).VirtualMachine(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Rename(ctx, to)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestKeepAlivePreventsExpiry: with keepalive more frequent than the idle
// timeout, the session never expires, so there is no second login.
func TestKeepAlivePreventsExpiry(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{SessionTimeout: "1s"})
	base := counter.get("Login")
	c := connect(t, sim, 250*time.Millisecond)
	time.Sleep(2500 * time.Millisecond)
	if err := c.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := counter.get("Login") - base; got != 1 {
		t.Errorf("logins = %d, want 1 (keepalive should have kept the session)", got)
	}
	if counter.get("CurrentTime") == 0 {
		t.Error("no keepalive requests were sent")
	}
}

func TestPlacementErrorsListWhatExists(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{})
	c := connect(t, sim, -1)
	tests := []struct {
		names PlacementNames
		want  []string
	}{
		{PlacementNames{Datacenter: "DC9"}, []string{`datacenter "DC9" not found`, "DC0"}},
		{PlacementNames{Cluster: "C9"}, []string{`cluster "C9" not found`, "DC0_C0", "DC0_H0"}},
		{PlacementNames{Datastore: "nope"}, []string{`datastore "nope" not found`, "LocalDS_0", "LocalDS_1"}},
		{PlacementNames{Network: "Prod"}, []string{`network "Prod" not found`, "VM Network"}},
	}
	for _, tt := range tests {
		_, err := c.ResolvePlacement(context.Background(), tt.names)
		if err == nil {
			t.Errorf("%+v: resolved, want an error", tt.names)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q does not mention %q", tt.names, err, w)
			}
		}
	}
	// A missing default network is only a warning.
	p, err := c.ResolvePlacement(context.Background(), PlacementNames{Network: "VM Network 2", NetworkDefaulted: true})
	if err != nil || !p.Network.IsZero() {
		t.Errorf("defaulted missing network: %+v, %v", p, err)
	}
}

func TestPlacementDefaults(t *testing.T) {
	for _, esx := range []bool{false, true} {
		sim, _ := startSim(t, simulator.Options{ESX: esx})
		c := connect(t, sim, -1)
		p, err := c.ResolvePlacement(context.Background(), PlacementNames{Network: "VM Network"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Datacenter.IsZero() || p.Compute.IsZero() || p.ResourcePool.IsZero() || p.Datastore.IsZero() || p.Network.Name != "VM Network" {
			t.Errorf("esx=%v: incomplete placement %+v", esx, p)
		}
		if !esx && (!p.IsCluster || p.Compute.Name != "DC0_C0") {
			t.Errorf("vCenter default compute = %s (cluster %v), want the first cluster", p.Compute.Name, p.IsCluster)
		}
		if esx && p.IsCluster {
			t.Errorf("ESX placement claims a cluster")
		}
	}
}

// TestNestedFolders: datacenters, clusters and VMs inside folders are found,
// and VM paths include the folders.
func TestNestedFolders(t *testing.T) {
	sim, _ := startSim(t, simulator.Options{Nested: true})
	c := connect(t, sim, -1)
	ctx := context.Background()
	p, err := c.ResolvePlacement(ctx, PlacementNames{Datacenter: "DC0", Cluster: "DC0_C0", Network: "VM Network"})
	if err != nil {
		t.Fatalf("placement in nested folders: %v", err)
	}
	if p.Compute.Name != "DC0_C0" || p.Datastore.IsZero() {
		t.Errorf("placement %+v", p)
	}
	list, err := c.ListVMs(ctx, ListFilter{}, 0, "")
	if err != nil || list.Total == 0 {
		t.Fatalf("list: %v %+v", err, list)
	}
	for _, v := range list.VMs {
		if !strings.HasPrefix(v.Path, "/F0/DC0/vm/F0/") {
			t.Errorf("%s path = %s, want it under /F0/DC0/vm/F0/", v.Name, v.Path)
		}
		got, err := c.FindVM(ctx, v.Path)
		if err != nil || got.ID != v.ID {
			t.Errorf("FindVM(%s) = %v, %v", v.Path, got, err)
		}
	}
}

// TestReloginBackoff: once a re-login has failed (say, the password was
// rotated), further calls — a client's, or an anonymous /readyz — do not each
// try to log in again: the account would be locked. After the backoff one
// attempt is made, and it recovers when the login works again.
func TestReloginBackoff(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{SessionTimeout: "1s"})
	c := connect(t, sim, -1)
	ctx := context.Background()
	svc := sim.Model().Service
	svc.AddFaultRule(&vsim.FaultInjectionRule{
		MethodName: "Login", ObjectType: "*", ObjectName: "*", Probability: 1, Enabled: true,
		FaultType: vsim.FaultTypeCustom, Fault: &types.InvalidLogin{},
	})
	time.Sleep(2500 * time.Millisecond) // let the session expire
	before := counter.get("Login")
	for i := range 5 {
		_, err := c.ResolvePlacement(ctx, PlacementNames{Network: "VM Network"})
		if err == nil {
			t.Fatalf("call %d succeeded with a failing login", i)
		}
		if !strings.Contains(err.Error(), "rejected the server's credentials") {
			t.Errorf("call %d: %v, want the login failure", i, err)
		}
		if i > 0 && !strings.Contains(err.Error(), "not trying again") {
			t.Errorf("call %d: %v, want the backoff stated", i, err)
		}
		if strings.Contains(err.Error(), sim.URL.Host) || strings.Contains(err.Error(), sim.User) {
			t.Errorf("call %d: %v names vCenter's host or the account", i, err)
		}
	}
	if got := counter.get("Login") - before; got != 1 {
		t.Errorf("5 calls made %d login attempts, want 1", got)
	}

	svc.ClearFaultRules()
	c.loginMu.Lock()
	c.reloginBackoff = time.Millisecond // as if the backoff had passed
	c.loginMu.Unlock()
	time.Sleep(10 * time.Millisecond)
	if _, err := c.ResolvePlacement(ctx, PlacementNames{Network: "VM Network"}); err != nil {
		t.Fatalf("after the backoff, with a working login: %v", err)
	}
	if got := counter.get("Login") - before; got != 2 {
		t.Errorf("login attempts = %d, want 2", got)
	}
}

// TestReloginOutlivesItsCaller: the re-login runs detached from the request
// that noticed the expiry, so that request's timeout neither aborts it nor
// counts as a failed login (no backoff): the next call just works.
func TestReloginOutlivesItsCaller(t *testing.T) {
	sim, counter := startSim(t, simulator.Options{SessionTimeout: "1s"})
	// Set before the session starts: the inventory mirror's requests would
	// otherwise read the delays while they change (a data race in the simulator).
	sim.Model().DelayConfig.MethodDelay = map[string]int{"Login": 1500}
	c := connect(t, sim, -1)
	time.Sleep(2500 * time.Millisecond) // let the session expire
	before := counter.get("Login")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.ResolvePlacement(ctx, PlacementNames{Network: "VM Network"}); err == nil {
		t.Fatal("a call whose deadline passed during the re-login succeeded")
	}
	if _, err := c.ResolvePlacement(context.Background(), PlacementNames{Network: "VM Network"}); err != nil {
		t.Fatalf("the next call failed: %v", err)
	}
	if got := counter.get("Login") - before; got != 1 {
		t.Errorf("login attempts = %d, want 1 (the detached re-login, reused by the next call)", got)
	}
}
