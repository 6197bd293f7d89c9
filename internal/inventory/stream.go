package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// errRelogin ends a stream whose session was replaced by a re-login.
var errRelogin = errors.New("the vSphere session was renewed")

// run fills the mirror and follows the update stream; whenever the stream
// breaks (a re-login, InvalidCollectorVersion, RequestCanceled that the
// mirror did not ask for, ManagedObjectNotFound for its view or collector, a
// broken connection), it starts again after a backoff with a new view, a new
// collector and a full re-fill, keeping the last state readable meanwhile.
func (m *Mirror) run(ctx context.Context) {
	defer close(m.stopped)
	backoff := m.opts.MinBackoff
	for {
		healthy, err := m.session(ctx)
		if ctx.Err() != nil {
			return
		}
		m.setLive(err)
		m.fence.breakOff()
		m.stateMu.Lock()
		m.recoveries++
		m.stateMu.Unlock()
		if healthy {
			backoff = m.opts.MinBackoff
		}
		m.log.Warn("inventory update stream broken; reading the inventory again", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if !healthy {
			backoff = min(backoff*2, m.opts.MaxBackoff)
		}
	}
}

// Recoveries counts how often the stream broke and was started again.
func (m *Mirror) Recoveries() int {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	return m.recoveries
}

// session runs one stream: collector, filter, fill, then update rounds
// until an error. healthy says whether the fill succeeded (the backoff then
// starts again from its minimum).
func (m *Mirror) session(ctx context.Context) (healthy bool, err error) {
	var gen uint64
	if m.opts.Generation != nil {
		gen = m.opts.Generation()
	}
	pc, err := property.DefaultCollector(m.vim).Create(ctx)
	if err != nil {
		return false, fmt.Errorf("creating the mirror's property collector: %w", err)
	}
	var views []*view.ContainerView
	defer func() { m.cleanup(ctx, gen, pc, views) }()
	for _, kind := range []string{"HostSystem", "ResourcePool", "VirtualApp"} {
		v, err := view.NewManager(m.vim).CreateContainerView(ctx, m.vim.ServiceContent.RootFolder, []string{kind}, true)
		if err != nil {
			return false, fmt.Errorf("creating the view of %s objects: %w", kind, err)
		}
		views = append(views, v)
	}
	// The filter exists before the fill reads anything, so no change made
	// during the fill can be missed: the stream's first answer (below) holds
	// every object as it is then.
	spec := streamSpec(m.vim.ServiceContent.RootFolder, views[0].Reference(), views[1].Reference(), views[2].Reference())
	if _, err := pc.CreateFilter(ctx, types.CreateFilter{Spec: spec}); err != nil {
		return false, fmt.Errorf("creating the mirror's property filter: %w", err)
	}

	n, _ := m.fence.begin(pc, false)
	start := time.Now()
	if err := m.fill(ctx, pc); err != nil {
		return false, err
	}
	m.markFilled()
	m.setLive(nil)
	m.fence.complete(n)
	m.log.Info("inventory mirror filled", "objects", m.objectCount(), "took", time.Since(start).Round(time.Millisecond))

	return true, m.follow(ctx, pc, gen)
}

// cleanup destroys the collector (and its filter) and the stream's views,
// best effort and bounded; after a re-login they died with the old session.
func (m *Mirror) cleanup(ctx context.Context, gen uint64, pc *property.Collector, views []*view.ContainerView) {
	if m.opts.Generation != nil && m.opts.Generation() != gen {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = pc.Destroy(cctx)
	for _, v := range views {
		_ = v.Destroy(cctx)
	}
}

// fill reads every object through a container view, in pages
// (RetrievePropertiesEx with MaxObjects, then ContinueRetrievePropertiesEx),
// applying each page as it arrives, and finally drops whatever it did not
// see. The view lives only for the fill.
func (m *Mirror) fill(ctx context.Context, pc *property.Collector) error {
	v, err := view.NewManager(m.vim).CreateContainerView(ctx, m.vim.ServiceContent.RootFolder, viewKinds, true)
	if err != nil {
		return fmt.Errorf("creating the inventory view: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = v.Destroy(cctx)
		cancel()
	}()
	seen := map[string]struct{}{}
	if err := m.retrievePages(ctx, pc, filterSpec(v.Reference()), seen); err != nil {
		return fmt.Errorf("reading the inventory: %w", err)
	}
	m.mu.Lock()
	m.s.version++
	m.s.sweep(seen)
	if !m.s.logActive {
		m.s.logActive, m.s.horizon = true, m.s.version
	}
	m.mu.Unlock()
	return nil
}

func (m *Mirror) applyContent(objects []types.ObjectContent, seen map[string]struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.version++
	for _, oc := range objects {
		if gone(oc) {
			continue
		}
		changes := make([]change, 0, len(oc.PropSet)+len(oc.MissingSet))
		for _, p := range oc.PropSet {
			changes = append(changes, change{p.Name, p.Val})
		}
		for _, p := range oc.MissingSet {
			changes = append(changes, change{p.Path, missing{p.Fault.Fault}})
		}
		if m.s.apply(oc.Obj, changes, true) {
			seen[oc.Obj.Value] = struct{}{}
		}
	}
}

// gone reports an object that vCenter could not read at all because it no
// longer exists (ReportMissingObjectsInResults): it is not mirrored, and its
// leave update follows, or came already.
func gone(oc types.ObjectContent) bool {
	if len(oc.PropSet) > 0 {
		return false
	}
	for _, p := range oc.MissingSet {
		if _, ok := p.Fault.Fault.(*types.ManagedObjectNotFound); ok {
			return true
		}
	}
	return false
}

// follow applies update sets until an error. Its first answer is vCenter's
// initial state of the new filter (every object as "enter"): it reconciles
// the fill with what changed while the fill ran. Later answers are changes.
// A truncated answer (more than MaxObjectUpdates) is re-assembled from its
// parts before it is applied, so readers never see half of one.
func (m *Mirror) follow(ctx context.Context, pc *property.Collector, gen uint64) error {
	version := ""
	initial, seen := true, map[string]struct{}{}
	maxObj := m.opts.MaxObjectUpdates
	longWait := int32(m.opts.MaxWait / time.Second)
	for {
		if m.opts.Generation != nil && m.opts.Generation() != gen {
			return errRelogin
		}
		n, quick := m.fence.begin(pc, version != "")
		var pending []types.ObjectUpdate
		more := false // the last answer was truncated: the rest is ready
		for {
			wait := longWait
			if quick || version == "" || more {
				wait = 0
			}
			res, err := methods.WaitForUpdatesEx(ctx, m.vim, &types.WaitForUpdatesEx{
				This: pc.Reference(), Version: version,
				Options: &types.WaitOptions{MaxWaitSeconds: &wait, MaxObjectUpdates: maxObj},
			})
			ours := m.fence.ended()
			if err != nil {
				if ours && fault.Is(err, &types.RequestCanceled{}) {
					// Our own CancelWaitForUpdates (a Fence): the version is
					// still valid; go on with a quick round.
					quick = true
					continue
				}
				return fmt.Errorf("waiting for inventory updates: %w", err)
			}
			set := res.Returnval
			if set == nil { // nothing changed within the wait
				if !more {
					break
				}
				continue
			}
			version = set.Version
			truncated := set.Truncated != nil && *set.Truncated
			more = truncated
			if truncated && !initial {
				m.truncated.Add(1)
			}
			for _, fs := range set.FilterSet {
				if initial {
					// The initial state can be large: apply it part by part.
					// (It holds whole values, never list items.)
					m.applyUpdates(fs.ObjectSet, seen)
				} else {
					pending = append(pending, fs.ObjectSet...)
				}
			}
			if !truncated {
				break
			}
		}
		if initial && version != "" {
			initial = false
			m.mu.Lock()
			m.s.version++
			m.s.sweep(seen)
			m.mu.Unlock()
			seen = nil
		}
		if len(pending) > 0 {
			if stale := m.applyUpdates(pending, nil); len(stale) > 0 {
				// An error starts the recovery: a new collector and a fill.
				if err := m.reread(ctx, pc, stale); err != nil {
					return err
				}
			}
		}
		m.setLive(nil)
		m.fence.complete(n)
	}
}

// applyUpdates applies object updates as one batch. It returns the objects
// with a change it cannot apply as such: one naming an item of a mirrored
// list (config.hardware.device["4000"], with op add or remove), which vCenter
// may report instead of the whole list. Their properties are to be read again
// (reread).
func (m *Mirror) applyUpdates(updates []types.ObjectUpdate, seen map[string]struct{}) (stale []types.ManagedObjectReference) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.version++
	for _, u := range updates {
		switch u.Kind {
		case types.ObjectUpdateKindLeave:
			m.s.remove(u.Obj)
			continue
		}
		changes := make([]change, 0, len(u.ChangeSet)+len(u.MissingSet))
		marked := false // u.Obj is in stale
		for _, c := range u.ChangeSet {
			if strings.Contains(c.Name, "[") {
				if !marked {
					stale, marked = append(stale, u.Obj), true
				}
				continue
			}
			var val any
			if c.Op == types.PropertyChangeOpAssign || c.Op == types.PropertyChangeOpAdd {
				val = c.Val
			}
			changes = append(changes, change{c.Name, val})
		}
		for _, p := range u.MissingSet {
			changes = append(changes, change{p.Path, missing{p.Fault.Fault}})
		}
		if m.s.apply(u.Obj, changes, u.Kind == types.ObjectUpdateKindEnter) && seen != nil {
			seen[u.Obj.Value] = struct{}{}
		}
	}
	m.s.prune(time.Now())
	return stale
}

// reread reads the mirrored properties of some objects again, whole, and
// applies them: after changes to items of their lists (see applyUpdates).
// An object deleted meanwhile is skipped, not a failure of the whole read
// (which would make the stream start over with a full fill).
func (m *Mirror) reread(ctx context.Context, pc *property.Collector, refs []types.ManagedObjectReference) error {
	// Once each, though an object may have had several updates in the batch.
	slices.SortFunc(refs, func(a, b types.ManagedObjectReference) int { return strings.Compare(a.Value, b.Value) })
	refs = slices.Compact(refs)
	objects := make([]types.ObjectSpec, len(refs))
	for i, r := range refs {
		objects[i] = types.ObjectSpec{Obj: r}
	}
	spec := types.PropertyFilterSpec{ObjectSet: objects, PropSet: propSpecs, ReportMissingObjectsInResults: types.NewBool(true)}
	if err := m.retrievePages(ctx, pc, spec, map[string]struct{}{}); err != nil {
		return fmt.Errorf("reading %d objects again after changes to items of their lists: %w", len(refs), err)
	}
	return nil
}

// retrievePages reads what spec selects in pages (RetrievePropertiesEx with
// MaxObjects, then ContinueRetrievePropertiesEx), applying each page as it
// arrives and recording the objects applied in seen.
func (m *Mirror) retrievePages(ctx context.Context, pc *property.Collector, spec types.PropertyFilterSpec, seen map[string]struct{}) error {
	res, err := methods.RetrievePropertiesEx(ctx, m.vim, &types.RetrievePropertiesEx{
		This:    pc.Reference(),
		SpecSet: []types.PropertyFilterSpec{spec},
		Options: types.RetrieveOptions{MaxObjects: m.opts.PageSize},
	})
	if err != nil {
		return err
	}
	for result := res.Returnval; result != nil; {
		m.applyContent(result.Objects, seen)
		if result.Token == "" {
			break
		}
		next, err := methods.ContinueRetrievePropertiesEx(ctx, m.vim, &types.ContinueRetrievePropertiesEx{This: pc.Reference(), Token: result.Token})
		if err != nil {
			return fmt.Errorf("next page: %w", err)
		}
		result = &next.Returnval
	}
	return nil
}

// TruncatedParts counts the change answers vCenter truncated (MaxObjectUpdates)
// and the mirror re-assembled (the initial state is not counted).
func (m *Mirror) TruncatedParts() int64 { return m.truncated.Load() }

func (m *Mirror) objectCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.s
	return len(s.vms) + len(s.hosts) + len(s.computes) + len(s.datastores) + len(s.networks) +
		len(s.switches) + len(s.folders) + len(s.pools) + len(s.datacenters)
}
