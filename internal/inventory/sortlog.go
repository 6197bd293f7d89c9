package inventory

import (
	"time"
)

// Paging a live inventory. A walk (list_vms with limit, then cursor after
// cursor) orders VMs by a sort key (name, CPUs or memory; then the id). A
// keyset cursor — "after (key, id)" — survives VMs being added or removed
// between pages, but not a change of the key itself: a VM renamed from "zz"
// to "aa" after the first page would never be returned, one renamed from "aa"
// to "zz" twice. So a walk orders every VM by the key it had when the walk
// started. The store keeps, for each VM whose sort keys changed, the keys it
// had before each change (and the version it was created at); the cursor
// names the version its walk started at, and a page sorts by the keys as of
// that version. VMs created after the walk started did not exist for the whole
// walk and are left out of it; VMs removed are simply gone. Every VM that
// existed for the whole walk is therefore returned exactly once.
//
// The log costs memory only for VMs that changed, and is pruned after
// logRetention; a cursor older than that is refused with a request to start
// the walk again.

const logRetention = 30 * time.Minute

type sortEntry struct {
	version uint64 // the batch that made the change
	at      time.Time
	created bool
	name    string
	cpu     int32
	mem     int32
}

// SortKeys are the values a VM is sorted by.
type SortKeys struct {
	Name     string
	NumCPU   int32
	MemoryMB int32
}

func (s *store) logSortChange(old, vm *VM, created bool) {
	if !s.logActive {
		return
	}
	if !created && old.Name == vm.Name && old.NumCPU == vm.NumCPU && old.MemoryMB == vm.MemoryMB {
		return
	}
	s.log[vm.ID] = append(s.log[vm.ID], sortEntry{
		version: s.version, at: time.Now(), created: created, name: old.Name, cpu: old.NumCPU, mem: old.MemoryMB,
	})
}

// keysAt returns the sort keys vm had at version v, and false when it did
// not exist then.
func (s *store) keysAt(vm *VM, v uint64) (SortKeys, bool) {
	for _, e := range s.log[vm.ID] {
		if e.version > v {
			if e.created {
				return SortKeys{}, false
			}
			return SortKeys{Name: e.name, NumCPU: e.cpu, MemoryMB: e.mem}, true
		}
	}
	return SortKeys{Name: vm.Name, NumCPU: vm.NumCPU, MemoryMB: vm.MemoryMB}, true
}

// prune drops log entries older than the retention, at most once a minute.
func (s *store) prune(now time.Time) {
	if now.Sub(s.prunedAt) < time.Minute {
		return
	}
	s.prunedAt = now
	cut := now.Add(-logRetention)
	for id, es := range s.log {
		i := 0
		for i < len(es) && es[i].at.Before(cut) {
			s.horizon = max(s.horizon, es[i].version)
			i++
		}
		switch {
		case i == len(es):
			delete(s.log, id)
		case i > 0:
			s.log[id] = append([]sortEntry(nil), es[i:]...)
		}
	}
}
