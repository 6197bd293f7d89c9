package simulator

import (
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
)

// FaultOnce makes the next request of rule.MethodName take the rule's fault
// (with its Delay), and no other request: a race-free MaxCount of 1. The
// rule must match any request of that method (ObjectType and ObjectName "*",
// Probability 1, no property filters of its own); MaxCount, Enabled and
// InclusionPropertyFilter are set here. ClearFaultRules removes it, taken
// or not.
//
// Where govmomi's simulator falls short (a data race, not a behaviour): a
// rule's MaxCount is checked for every request, and counted, without a lock
// the requests share (FaultInjector.ShouldInjectFault holds a read lock), and
// the server's inventory mirror keeps requests flowing at all times, so a
// MaxCount rule races. Here the rule has no MaxCount; its inclusion filter,
// which the simulator calls only for requests of the rule's method, lets one
// of them through with an atomic flag. Only the request let through counts
// the rule or draws its probability; every other request reads fields that
// never change.
func (s *Simulator) FaultOnce(rule *simulator.FaultInjectionRule) {
	r := *rule
	var taken atomic.Bool
	r.MaxCount, r.Enabled = 0, true
	r.InclusionPropertyFilter = func(mo.Reference) bool { return taken.CompareAndSwap(false, true) }
	s.model.Service.AddFaultRule(&r)
}
