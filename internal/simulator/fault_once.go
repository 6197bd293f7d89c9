package simulator

import (
	"sync"

	"github.com/vmware/govmomi/simulator"
)

// oneShots inject a fault into exactly one request of a SOAP method.
//
// Where govmomi's simulator falls short (a data race, not a behaviour): a
// fault rule's MaxCount is checked and counted without a lock that
// concurrent requests share (FaultInjector.ShouldInjectFault reads a rule's
// count for every request and increments it under a read lock), and the
// server's inventory mirror keeps requests flowing at all times, so a
// MaxCount rule races. Here the rule is added to the simulator only while the
// one request that takes it is served, and other requests wait meanwhile.
type oneShots struct {
	svc   *simulator.Service
	mu    sync.Mutex // held while a request that takes an armed rule is served
	armed map[string]*simulator.FaultInjectionRule
}

// serve serves a request of method, with its armed rule if there is one.
func (o *oneShots) serve(method string, serve func()) {
	o.mu.Lock()
	rule := o.armed[method]
	if rule == nil {
		o.mu.Unlock()
		serve()
		return
	}
	defer o.mu.Unlock()
	delete(o.armed, method)
	o.svc.AddFaultRule(rule)
	defer o.remove(rule)
	serve()
}

func (o *oneShots) remove(rule *simulator.FaultInjectionRule) {
	for i, r := range o.svc.GetFaultRules() {
		if r == rule {
			o.svc.RemoveFaultRule(i)
			return
		}
	}
}

// FaultOnce makes the next request of rule.MethodName take the rule's fault
// (with its Delay), and no other request: a race-free MaxCount of 1. The
// rule must match any request of that method (ObjectType and ObjectName "*",
// Probability 1, no property filters); MaxCount and Enabled are set here.
// Arming a method again before its request came replaces the rule.
func (s *Simulator) FaultOnce(rule *simulator.FaultInjectionRule) {
	r := *rule
	r.MaxCount, r.Enabled = 0, true
	s.oneShots.mu.Lock()
	defer s.oneShots.mu.Unlock()
	if s.oneShots.armed == nil {
		s.oneShots.armed = map[string]*simulator.FaultInjectionRule{}
	}
	s.oneShots.armed[r.MethodName] = &r
}
