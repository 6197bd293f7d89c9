package vsphere

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/inventory"
)

// NotFoundError says that no object of Kind matched Ref.
type NotFoundError struct {
	Kind    string
	Ref     string
	Similar []string // names that resemble Ref, to help the caller
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found (looked up by exact name, inventory path, managed object id and UUID: case and spaces count)", e.Kind, e.Ref)
	if len(e.Similar) > 0 {
		msg += "; similar names: " + strings.Join(e.Similar, ", ")
	}
	return msg
}

// Candidate is one of several objects an ambiguous reference matches.
type Candidate struct {
	ID        string `json:"id"`
	Path      string `json:"path"`
	MatchedBy string `json:"matched_by"` // name, id, path, BIOS UUID or instance UUID
}

// AmbiguousError says that Ref matches several objects; it never guesses.
type AmbiguousError struct {
	Kind       string
	Ref        string
	Candidates []Candidate
}

func (e *AmbiguousError) Error() string {
	parts := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		parts[i] = fmt.Sprintf("%s (%s, matched by %s)", c.Path, c.ID, c.MatchedBy)
	}
	// A path is always unambiguous: names cannot hold "/" and ids and UUIDs never start with one.
	return fmt.Sprintf("%s reference %q matches %d objects; name one by its inventory path: %s",
		e.Kind, e.Ref, len(e.Candidates), strings.Join(parts, ", "))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// FindVM resolves the VM reference of a mutation: a name, an inventory path
// (/DC0/vm/web-01), a managed object id (vm-42) or a BIOS or instance UUID,
// and returns the VM's summary, from the inventory mirror. The reference is
// matched exactly — nothing is trimmed, case-folded or normalised (only a
// UUID's case and dashes are free, as vCenter itself treats them) — and a
// reference that matches nothing, or several VMs, is refused, never guessed.
// A mutation decides on the VM's state (already on? templates?), so the
// mirror is first brought up to date with everything vCenter holds (a fence:
// at most one CancelWaitForUpdates and one short WaitForUpdatesEx), and a
// change made elsewhere a moment ago is not missed.
func (c *Client) FindVM(ctx context.Context, reference string) (*VMSummary, error) {
	c.afterTask(ctx, nil)
	_, v, err := c.lookupVM(ctx, reference)
	return v, err
}

// lookupVM is FindVM that also returns the names and parents of the VM's
// containers, which give the paths of its folder and pool.
func (c *Client) lookupVM(ctx context.Context, reference string) (*vmInventory, *VMSummary, error) {
	return c.resolveVM(ctx, reference)
}

// resolveVM finds the one VM a reference means in the inventory mirror.
func (c *Client) resolveVM(ctx context.Context, reference string) (*vmInventory, *VMSummary, error) {
	var (
		inv   *vmInventory
		found *VMSummary
	)
	err := c.withVM(ctx, reference, func(v *inventory.View, vm *inventory.VM) {
		s := summaryOf(v, vm)
		found = &s
		inv = inventoryAround(v, vm.ID, vm.ResourcePool)
	})
	return inv, found, err
}

// withVM runs f, in the inventory mirror, on the one VM a reference means.
func (c *Client) withVM(ctx context.Context, reference string, f func(v *inventory.View, vm *inventory.VM)) error {
	if reference == "" {
		return fmt.Errorf("a VM reference (name, inventory path, id or UUID) is required")
	}
	var ferr error
	err := c.readMirror(ctx, func(v *inventory.View) {
		vm, err := findVM(v, reference)
		if err != nil {
			ferr = err
			return
		}
		f(v, vm)
	})
	if err != nil {
		return fmt.Errorf("looking up VM %q: %w", reference, err)
	}
	return ferr
}

// findVM returns the one VM that reference means. Every kind of match counts
// together: a name that is also another VM's id, or a UUID two VMs share, is
// ambiguous — never resolved by guessing which kind was meant.
func findVM(v *inventory.View, reference string) (*inventory.VM, error) {
	var found []*inventory.VM
	var by []string
	add := func(vm *inventory.VM, how string) {
		if vm != nil && !slices.Contains(found, vm) {
			found, by = append(found, vm), append(by, how)
		}
	}
	add(v.VM(reference), "id")
	for _, vm := range v.VMsNamed(reference) {
		add(vm, "name")
	}
	if strings.HasPrefix(reference, "/") {
		// The last element is the name: vCenter escapes "/" inside names.
		name := reference[strings.LastIndex(reference, "/")+1:]
		for _, vm := range v.VMsNamed(name) {
			if v.Path(vm.ID) == reference {
				add(vm, "path")
			}
		}
	}
	if uuidPattern.MatchString(reference) {
		u := inventory.NormalizeUUID(reference)
		for _, vm := range v.VMsByUUID(reference) {
			how := "instance UUID"
			if inventory.NormalizeUUID(vm.UUID) == u {
				how = "BIOS UUID"
			}
			add(vm, how)
		}
	}
	switch len(found) {
	case 0:
		return nil, &NotFoundError{Kind: "VM", Ref: reference, Similar: similarVMs(v, reference)}
	case 1:
		return found[0], nil
	}
	e := &AmbiguousError{Kind: "VM", Ref: reference}
	for i, vm := range found {
		e.Candidates = append(e.Candidates, Candidate{ID: vm.ID, Path: v.Path(vm.ID), MatchedBy: by[i]})
	}
	slices.SortFunc(e.Candidates, func(a, b Candidate) int { return strings.Compare(a.Path, b.Path) })
	return nil, e
}

// similarVMs lists up to five VM names that resemble reference: containing
// it, or contained in it, once both are trimmed and case-folded — so a
// reference with a stray space or the wrong case is refused with the names
// it probably meant (each quoted, so spaces show).
func similarVMs(v *inventory.View, reference string) []string {
	r := strings.TrimRight(reference, "/")
	if i := strings.LastIndex(r, "/"); i >= 0 {
		r = r[i+1:]
	}
	r = strings.ToLower(strings.TrimSpace(r))
	if r == "" {
		return nil
	}
	var out []string
	v.EachVM(func(vm *inventory.VM) bool {
		n := strings.ToLower(strings.TrimSpace(vm.Name))
		if n != "" && (strings.Contains(n, r) || len(n) >= 3 && strings.Contains(r, n)) {
			q := fmt.Sprintf("%q", vm.Name)
			if !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
		return true
	})
	slices.Sort(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}
