package vsphere

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
)

// deadlockGuard only stops a broken test from hanging; nothing is timed.
const deadlockGuard = 30 * time.Second

// soapGate holds SOAP requests of one method at the simulator until the test
// releases them, and counts them: how many were served and the most held at
// once. A request counts as held from its arrival until its release, a span
// wholly inside the client's request, so the peak never exceeds what the
// client had in flight.
type soapGate struct {
	arrived chan struct{} // one value per held request's arrival
	release chan struct{} // one value lets one held request through
	stop    chan struct{} // closed at the end: lets every request through

	mu             sync.Mutex
	method         string // "" holds nothing
	this           string // when set, only requests on this object (_this) are held
	held, peak, nb int
}

func newSOAPGate() *soapGate {
	return &soapGate{arrived: make(chan struct{}, 100), release: make(chan struct{}, 100), stop: make(chan struct{})}
}

func (g *soapGate) hold(method string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.method = method
}

// holdOn holds only the requests of method called on the object this: the
// inventory mirror's own requests of the same method pass.
func (g *soapGate) holdOn(method string, this types.ManagedObjectReference) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.method, g.this = method, this.Value
}

func (g *soapGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := simulator.RequestMethod(r)
		g.mu.Lock()
		gated := m == g.method && (g.this == "" || calledOn(r, g.this))
		if gated {
			g.held++
			g.nb++
			g.peak = max(g.peak, g.held)
		}
		g.mu.Unlock()
		if gated {
			g.arrived <- struct{}{}
			select {
			case <-g.release:
			case <-g.stop:
			}
			g.mu.Lock()
			g.held--
			g.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// calledOn reports whether the SOAP request r is called on the object whose
// reference value is this, leaving r's body readable.
func calledOn(r *http.Request, this string) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return err == nil && bytes.Contains(body, []byte(">"+this+"</_this>"))
}

// counts returns how many held requests were served and the most held at once.
func (g *soapGate) counts() (served, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nb, g.peak
}

func (g *soapGate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(deadlockGuard):
		t.Fatal("a request never reached the simulator")
	}
}

// gatedSim starts a simulator behind a gate and connects a Client bounded to maxInFlight.
func gatedSim(t *testing.T, maxInFlight int) (*Client, *soapGate) {
	t.Helper()
	ctx := context.Background()
	g := newSOAPGate()
	sim, err := simulator.Start(ctx, simulator.Options{WrapSOAP: g.wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	t.Cleanup(func() { close(g.stop) }) // a failed test leaves no request held
	c, err := Connect(ctx, ConnectOptions{
		URL: sim.URL, User: sim.User, Password: sim.Password, CAFile: sim.CAFile,
		KeepAlive: -1, MaxConcurrency: maxInFlight,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	// The inventory mirror's fill is ordinary work and takes slots like any
	// other request (it is load on vCenter too); once filled, the mirror only
	// long-polls for updates, outside the bound. A test counting slots starts
	// after the fill, or a fill request in flight would hide one slot.
	fctx, cancel := context.WithTimeout(ctx, deadlockGuard)
	defer cancel()
	if err := c.Mirror().WaitFilled(fctx); err != nil {
		t.Fatal(err)
	}
	return c, g
}

// TestVCenterInFlightBound: however many callers, at most MaxConcurrency
// requests reach vCenter at once. The gate holds every request that arrives,
// and nothing is let through until every caller is either held there or
// queued for a slot, so a leaking bound shows as more held at once.
func TestVCenterInFlightBound(t *testing.T) {
	const callers = 12
	for _, tc := range []struct {
		name        string
		maxInFlight int
		wantPeak    int
	}{
		{"one at a time", 1, 1},
		{"three at a time", 3, 3},
		{"unbounded", 0, callers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, g := gatedSim(t, tc.maxInFlight)
			g.hold("FindByInventoryPath")
			queued := make(chan struct{}, callers)
			ctx := context.WithValue(context.Background(), limitHooksKey{}, &limitHooks{queued: func() { queued <- struct{}{} }})
			si := object.NewSearchIndex(c.Vim())
			var wg sync.WaitGroup
			for i := range callers {
				// Distinct paths: these requests are not coalesced.
				wg.Go(func() {
					if _, err := si.FindByInventoryPath(ctx, fmt.Sprintf("/DC0/vm/none-%d", i)); err != nil {
						t.Error(err)
					}
				})
			}
			// Every caller is either held at the simulator or queued for a
			// slot before any request is let through.
			for range callers {
				select {
				case <-g.arrived:
				case <-queued:
				case <-time.After(deadlockGuard):
					t.Fatal("a request neither reached the simulator nor queued")
				}
			}
			for range callers {
				g.release <- struct{}{}
			}
			wg.Wait()
			served, peak := g.counts()
			if served != callers || peak != tc.wantPeak {
				t.Errorf("served %d requests, at most %d at once; want %d, at most %d", served, peak, callers, tc.wantPeak)
			}
		})
	}
}

// TestVCenterLongPollOutsideBound: a long poll held open on vCenter (a task
// wait, the inventory's update stream) does not take the only ordinary slot.
// The long poll is the test's own, on its own collector: the gate holds it
// alone, not the mirror's polls, which come and go on their own schedule.
func TestVCenterLongPollOutsideBound(t *testing.T) {
	t.Parallel()
	c, g := gatedSim(t, 1)
	ctx := context.Background()
	pc, err := property.DefaultCollector(c.Vim()).Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.holdOn("WaitForUpdatesEx", pc.Reference())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait := int32(1)
		// The simulator's answer does not matter: the gate holds the request.
		_, _ = methods.WaitForUpdatesEx(ctx, c.Vim(), &types.WaitForUpdatesEx{
			This: pc.Reference(), Options: &types.WaitOptions{MaxWaitSeconds: &wait},
		})
	}()
	g.waitArrival(t)
	rctx, cancel := context.WithTimeout(ctx, deadlockGuard)
	defer cancel()
	if _, err := object.NewSearchIndex(c.Vim()).FindByInventoryPath(rctx, "/DC0/vm/DC0_H0_VM0"); err != nil {
		t.Errorf("an ordinary request while a long poll is open: %v", err)
	}
	g.release <- struct{}{}
	<-done
}

// TestVCenterCoalescing: identical concurrent reads reach vCenter once and
// each caller gets the answer; different reads, or an answer with a
// continuation token, are each the caller's own.
func TestVCenterCoalescing(t *testing.T) {
	t.Run("two reads of one VM's stats: one QueryPerf", func(t *testing.T) {
		t.Parallel()
		c, g := gatedSim(t, 8)
		g.hold("QueryPerf")
		stats := twice(t, g, 1, func(ctx context.Context) (any, error) { return c.GetVMStats(ctx, "DC0_H0_VM0", 0) })
		if served, _ := g.counts(); served != 1 {
			t.Errorf("QueryPerf served %d times, want 1", served)
		}
		if stats[0] == nil || !reflect.DeepEqual(stats[0], stats[1]) {
			t.Errorf("the two callers got different answers:\n%+v\n%+v", stats[0], stats[1])
		}
	})
	t.Run("stats of two VMs: two QueryPerf", func(t *testing.T) {
		t.Parallel()
		c, g := gatedSim(t, 8)
		g.hold("QueryPerf")
		ctx := context.Background()
		var wg sync.WaitGroup
		for _, vm := range []string{"DC0_H0_VM0", "DC0_H0_VM1"} {
			wg.Go(func() {
				if _, err := c.GetVMStats(ctx, vm, 0); err != nil {
					t.Error(err)
				}
			})
		}
		g.waitArrival(t)
		g.waitArrival(t)
		g.release <- struct{}{}
		g.release <- struct{}{}
		wg.Wait()
		if served, _ := g.counts(); served != 2 {
			t.Errorf("QueryPerf served %d times, want 2", served)
		}
	})
	t.Run("a page with a continuation token is not shared", func(t *testing.T) {
		t.Parallel()
		c, g := gatedSim(t, 8)
		v, err := view.NewManager(c.Vim()).CreateContainerView(context.Background(), c.Vim().ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
		if err != nil {
			t.Fatal(err)
		}
		g.hold("RetrievePropertiesEx")
		req := types.RetrievePropertiesEx{
			This: c.Vim().ServiceContent.PropertyCollector,
			SpecSet: []types.PropertyFilterSpec{{
				ObjectSet: []types.ObjectSpec{{Obj: v.Reference(), Skip: types.NewBool(true), SelectSet: []types.BaseSelectionSpec{
					&types.TraversalSpec{Type: "ContainerView", Path: "view"},
				}}},
				PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}},
			}},
			Options: types.RetrieveOptions{MaxObjects: 1},
		}
		pages := twice(t, g, 2, func(ctx context.Context) (any, error) {
			res, err := methods.RetrievePropertiesEx(ctx, c.Vim(), &req)
			if err != nil {
				return nil, err
			}
			return res.Returnval, nil
		})
		if served, _ := g.counts(); served != 2 {
			t.Errorf("RetrievePropertiesEx served %d times, want 2", served)
		}
		a, b := pages[0].(*types.RetrieveResult), pages[1].(*types.RetrieveResult)
		if a == nil || b == nil || a.Token == "" || a.Token == b.Token {
			t.Fatalf("want two pages with their own tokens, got %+v and %+v", a, b)
		}
		for _, token := range []string{a.Token, b.Token} {
			if _, err := methods.ContinueRetrievePropertiesEx(context.Background(), c.Vim(), &types.ContinueRetrievePropertiesEx{
				This: c.Vim().ServiceContent.PropertyCollector, Token: token,
			}); err != nil {
				t.Errorf("continuing a page: %v", err)
			}
		}
	})
}

// TestVCenterLargeAnswerNotShared: callers waiting on an answer with more
// objects than may be shared make their own requests. The limiter is built
// by hand around a plain session to lower its threshold.
func TestVCenterLargeAnswerNotShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newSOAPGate()
	sim, err := simulator.Start(ctx, simulator.Options{WrapSOAP: g.wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	t.Cleanup(func() { close(g.stop) })
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := newVCenterLimit(vc.Client, 8)
	l.maxShared = 2
	vc.RoundTripper = l
	v, err := view.NewManager(vc).CreateContainerView(ctx, vc.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	g.hold("RetrievePropertiesEx")
	answers := twice(t, g, 2, func(ctx context.Context) (any, error) {
		var vms []mo.VirtualMachine
		err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &vms)
		return len(vms), err
	})
	if served, _ := g.counts(); served != 2 {
		t.Errorf("RetrievePropertiesEx served %d times, want 2", served)
	}
	if answers[0].(int) <= 2 || answers[0] != answers[1] {
		t.Errorf("want both callers to read the same VMs, more than 2; got %v", answers)
	}
}

// twice runs read from two goroutines so that the second joins the first's
// request, held at the gate: it waits for the first to arrive and the second
// to join before letting requests through (want of them, in order).
func twice(t *testing.T, g *soapGate, want int, read func(context.Context) (any, error)) [2]any {
	t.Helper()
	joined := make(chan struct{}, 2)
	ctx := context.WithValue(context.Background(), limitHooksKey{}, &limitHooks{joined: func() { joined <- struct{}{} }})
	var out [2]any
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			v, err := read(ctx)
			if err != nil {
				t.Error(err)
			}
			out[i] = v
		})
	}
	g.waitArrival(t)
	select {
	case <-joined:
	case <-time.After(deadlockGuard):
		t.Fatal("the second read never joined the first")
	}
	for i := range want {
		g.release <- struct{}{}
		if i+1 < want {
			g.waitArrival(t)
		}
	}
	wg.Wait()
	return out
}

// TestCopyAnswerIsDeep: a coalesced caller's answer shares nothing with the
// leader's, so either may change its own.
func TestCopyAnswerIsDeep(t *testing.T) {
	src := &methods.QueryPerfBody{
		Req: &types.QueryPerf{},
		Res: &types.QueryPerfResponse{Returnval: []types.BasePerfEntityMetricBase{&types.PerfEntityMetric{
			PerfEntityMetricBase: types.PerfEntityMetricBase{Entity: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-1"}},
			SampleInfo:           []types.PerfSampleInfo{{Interval: 20}},
			Value:                []types.BasePerfMetricSeries{&types.PerfMetricIntSeries{Value: []int64{1, 2}}},
		}}},
	}
	ownReq := &types.QueryPerf{This: types.ManagedObjectReference{Value: "mine"}}
	dst := &methods.QueryPerfBody{Req: ownReq}
	copyAnswer(dst, src)
	if dst.Req != ownReq {
		t.Error("the copy replaced the caller's own request")
	}
	if !reflect.DeepEqual(dst.Res, src.Res) {
		t.Fatalf("copy differs: %+v", dst.Res)
	}
	m := dst.Res.Returnval[0].(*types.PerfEntityMetric)
	m.SampleInfo[0].Interval = 300
	m.Value[0].(*types.PerfMetricIntSeries).Value[0] = 99
	orig := src.Res.Returnval[0].(*types.PerfEntityMetric)
	if orig.SampleInfo[0].Interval != 20 || orig.Value[0].(*types.PerfMetricIntSeries).Value[0] != 1 {
		t.Error("changing the copy changed the original")
	}
}
