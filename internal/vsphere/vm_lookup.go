package vsphere

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// NotFoundError says that no object of Kind matched Ref.
type NotFoundError struct {
	Kind    string
	Ref     string
	Similar []string // names that resemble Ref, to help the caller
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found (looked up by name, inventory path, managed object id and UUID)", e.Kind, e.Ref)
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

// FindVM resolves a VM reference: a name, an inventory path (/DC0/vm/web-01), a
// managed object id (vm-42) or a BIOS or instance UUID, and returns the VM's
// summary. It costs two SOAP requests whatever the inventory size: resolving
// (see resolveVM) and the summary of the one VM found. It never guesses.
func (c *Client) FindVM(ctx context.Context, reference string) (*VMSummary, error) {
	_, v, err := c.lookupVM(ctx, reference)
	return v, err
}

// lookupVM is FindVM that also returns the inventory the VM was found in, whose
// names and parents give the paths of its folder, pool and host.
func (c *Client) lookupVM(ctx context.Context, reference string) (*vmInventory, *VMSummary, error) {
	inv, found, err := c.resolveVM(ctx, reference)
	if err != nil {
		return nil, nil, err
	}
	content, err := c.retrieveObjects(ctx, []types.ManagedObjectReference{found.ref}, vmSummaryProps)
	if err != nil {
		return nil, nil, fmt.Errorf("reading VM %s (%s): %w", found.Name, found.ID, err)
	}
	if len(content) == 0 {
		return nil, nil, &NotFoundError{Kind: "VM", Ref: reference}
	}
	v := inv.summary(content[0])
	return inv, &v, nil
}

// resolveVM finds the one VM a reference means, in one SOAP request whatever
// the inventory size: the names, parents and hosts of every VM (and their UUIDs
// when the reference looks like one) through the session's inventory view. The
// returned summary has identity, path, host and cluster only.
func (c *Client) resolveVM(ctx context.Context, reference string) (*vmInventory, *VMSummary, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return nil, nil, fmt.Errorf("a VM reference (name, inventory path, id or UUID) is required")
	}
	props := lookupProps
	if uuidPattern.MatchString(reference) {
		props = append(slices.Clone(lookupProps), lookupUUIDProps...)
	}
	inv, err := c.snapshotOf(ctx, withVMProps(props))
	if err != nil {
		return nil, nil, fmt.Errorf("looking up VM %q: %w", reference, err)
	}
	v, err := inv.find(reference)
	return inv, v, err
}

// find returns the one VM that reference means. Every kind of match counts
// together: a name that is also another VM's id, or a UUID two VMs share, is
// ambiguous — never resolved by guessing which kind was meant.
func (inv *vmInventory) find(reference string) (*VMSummary, error) {
	type matcher struct {
		by    string
		match func(*VMSummary) bool
	}
	matchers := []matcher{
		{"id", func(v *VMSummary) bool { return v.ID == reference }},
		{"name", func(v *VMSummary) bool { return v.Name == reference }},
	}
	if strings.HasPrefix(reference, "/") {
		p := strings.TrimSuffix(reference, "/")
		matchers = append(matchers, matcher{"path", func(v *VMSummary) bool { return v.Path == p }})
	}
	if uuidPattern.MatchString(reference) {
		u := normalizeUUID(reference)
		matchers = append(matchers,
			matcher{"BIOS UUID", func(v *VMSummary) bool { return normalizeUUID(v.UUID) == u }},
			matcher{"instance UUID", func(v *VMSummary) bool { return normalizeUUID(v.InstanceUUID) == u }})
	}
	var found []*VMSummary
	var by []string
	for i := range inv.vms {
		v := &inv.vms[i]
		for _, m := range matchers {
			if m.match(v) {
				found, by = append(found, v), append(by, m.by)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, &NotFoundError{Kind: "VM", Ref: reference, Similar: inv.similar(reference)}
	case 1:
		return found[0], nil
	}
	e := &AmbiguousError{Kind: "VM", Ref: reference}
	for i, v := range found {
		e.Candidates = append(e.Candidates, Candidate{ID: v.ID, Path: v.Path, MatchedBy: by[i]})
	}
	slices.SortFunc(e.Candidates, func(a, b Candidate) int { return strings.Compare(a.Path, b.Path) })
	return nil, e
}

// similar lists up to five VM names that contain reference, ignoring case.
func (inv *vmInventory) similar(reference string) []string {
	r := strings.ToLower(reference)
	if i := strings.LastIndex(r, "/"); i >= 0 {
		r = r[i+1:]
	}
	if r == "" {
		return nil
	}
	var out []string
	for _, v := range inv.vms {
		if strings.Contains(strings.ToLower(v.Name), r) && !slices.Contains(out, v.Name) {
			out = append(out, v.Name)
		}
	}
	slices.Sort(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func normalizeUUID(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "-", ""))
}
