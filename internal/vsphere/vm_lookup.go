package vsphere

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
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
	ID   string `json:"id"`
	Path string `json:"path"`
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
		parts[i] = fmt.Sprintf("%s (%s)", c.Path, c.ID)
	}
	return fmt.Sprintf("%s name %q matches %d objects; name one by inventory path or id: %s",
		e.Kind, e.Ref, len(e.Candidates), strings.Join(parts, ", "))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// FindVM resolves a VM reference: a name, an inventory path (/DC0/vm/web-01), a
// managed object id (vm-42) or a BIOS or instance UUID. It costs one SOAP
// request (the inventory snapshot) whatever the inventory size, and never
// guesses between several matches.
func (c *Client) FindVM(ctx context.Context, reference string) (*VMSummary, error) {
	_, v, err := c.lookupVM(ctx, reference)
	return v, err
}

// lookupVM is FindVM that also returns the snapshot the VM was found in, whose
// names and parents give the paths of its folder, pool and host.
func (c *Client) lookupVM(ctx context.Context, reference string) (*vmInventory, *VMSummary, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return nil, nil, fmt.Errorf("a VM reference (name, inventory path, id or UUID) is required")
	}
	inv, err := c.snapshot(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("looking up VM %q: %w", reference, err)
	}
	v, err := inv.find(reference)
	return inv, v, err
}

func (inv *vmInventory) find(reference string) (*VMSummary, error) {
	matchers := []func(*VMSummary) bool{
		func(v *VMSummary) bool { return v.ID == reference },
	}
	if strings.HasPrefix(reference, "/") {
		p := strings.TrimSuffix(reference, "/")
		matchers = append(matchers, func(v *VMSummary) bool { return v.Path == p })
	}
	if uuidPattern.MatchString(reference) {
		u := normalizeUUID(reference)
		matchers = append(matchers, func(v *VMSummary) bool {
			return normalizeUUID(v.UUID) == u || normalizeUUID(v.InstanceUUID) == u
		})
	}
	matchers = append(matchers, func(v *VMSummary) bool { return v.Name == reference })

	// The most specific kind of reference that matches wins; within it, several
	// matches are ambiguous.
	for _, match := range matchers {
		var found []*VMSummary
		for i := range inv.vms {
			if match(&inv.vms[i]) {
				found = append(found, &inv.vms[i])
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return nil, ambiguous("VM", reference, found)
		}
	}
	return nil, &NotFoundError{Kind: "VM", Ref: reference, Similar: inv.similar(reference)}
}

func ambiguous(kind, reference string, found []*VMSummary) error {
	e := &AmbiguousError{Kind: kind, Ref: reference}
	for _, v := range found {
		e.Candidates = append(e.Candidates, Candidate{ID: v.ID, Path: v.Path})
	}
	slices.SortFunc(e.Candidates, func(a, b Candidate) int { return strings.Compare(a.Path, b.Path) })
	return e
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
