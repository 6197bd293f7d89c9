package vsphere

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListFilter selects VMs. Zero values select everything except templates.
type ListFilter struct {
	Name             string // substring, or a glob when it holds * ? or [ (case-insensitive)
	PowerState       string // poweredOn|poweredOff|suspended (or on|off)
	Host             string // ESXi host name
	Cluster          string // cluster or standalone compute resource name
	Folder           string // inventory path prefix, e.g. /DC0/vm/prod
	IncludeTemplates bool
	TemplatesOnly    bool
}

// VMList is one page of VMs.
type VMList struct {
	VMs        []VMSummary `json:"vms"`
	Total      int         `json:"total" jsonschema:"number of VMs matching the filters, over all pages"`
	Truncated  bool        `json:"truncated" jsonschema:"true when more VMs follow; pass next_cursor to get them"`
	NextCursor string      `json:"next_cursor,omitempty" jsonschema:"opaque cursor for the next page"`
}

// NormalizePowerState maps on/off/suspended and vSphere's names to vSphere's names.
func NormalizePowerState(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "on", "poweredon", "powered_on":
		return "poweredOn", nil
	case "off", "poweredoff", "powered_off":
		return "poweredOff", nil
	case "suspended":
		return "suspended", nil
	}
	return "", fmt.Errorf("power_state %q is not one of poweredOn, poweredOff, suspended", s)
}

// ListVMs returns one page of VMs sorted by name then id. Whatever the inventory
// size it costs one property retrieval (see snapshot).
func (c *Client) ListVMs(ctx context.Context, f ListFilter, limit int, cursor string) (*VMList, error) {
	ps, err := NormalizePowerState(f.PowerState)
	if err != nil {
		return nil, err
	}
	f.PowerState = ps
	if f.Name != "" && isGlob(f.Name) {
		if _, err := path.Match(strings.ToLower(f.Name), ""); err != nil {
			return nil, fmt.Errorf("name pattern %q is not a valid glob: %v", f.Name, err)
		}
	}
	switch {
	case limit == 0:
		limit = DefaultListLimit
	case limit < 0 || limit > MaxListLimit:
		return nil, fmt.Errorf("limit must be between 1 and %d, got %d", MaxListLimit, limit)
	}
	after, err := decodeCursor(cursor, f)
	if err != nil {
		return nil, err
	}

	inv, err := c.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	matched := make([]VMSummary, 0, len(inv.vms))
	for _, v := range inv.vms {
		if f.matches(&v) {
			matched = append(matched, v)
		}
	}
	slices.SortFunc(matched, compareVMs)

	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(matched, *after, func(v VMSummary, k cursorKey) int {
			return cmp.Or(cmp.Compare(v.Name, k.Name), cmp.Compare(v.ID, k.ID))
		})
		// BinarySearch finds the position of the key itself; the page starts after it.
		if start < len(matched) && matched[start].Name == after.Name && matched[start].ID == after.ID {
			start++
		}
	}
	end := min(start+limit, len(matched))
	out := &VMList{VMs: matched[start:end], Total: len(matched)}
	if end < len(matched) {
		out.Truncated = true
		last := matched[end-1]
		out.NextCursor = encodeCursor(cursorKey{Name: last.Name, ID: last.ID, Filter: f.fingerprint()})
	}
	return out, nil
}

func compareVMs(a, b VMSummary) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

func (f ListFilter) matches(v *VMSummary) bool {
	switch {
	case v.Template && !f.IncludeTemplates && !f.TemplatesOnly:
		return false
	case f.TemplatesOnly && !v.Template:
		return false
	case f.PowerState != "" && v.PowerState != f.PowerState:
		return false
	case f.Host != "" && !strings.EqualFold(v.Host, f.Host):
		return false
	case f.Cluster != "" && !strings.EqualFold(v.Cluster, f.Cluster):
		return false
	case f.Folder != "" && !strings.HasPrefix(v.Path, strings.TrimSuffix(f.Folder, "/")+"/"):
		return false
	}
	return matchName(f.Name, v.Name)
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func matchName(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	if isGlob(p) {
		ok, _ := path.Match(p, n)
		return ok
	}
	return strings.Contains(n, p)
}

// A cursor is the sort key of the last VM returned, so pages stay consistent
// when VMs are added or removed between calls, plus a fingerprint of the
// filters it belongs to.
type cursorKey struct {
	Name   string `json:"n"`
	ID     string `json:"i"`
	Filter string `json:"f"`
}

func (f ListFilter) fingerprint() string {
	b, _ := json.Marshal(f)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

func encodeCursor(k cursorKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, f ListFilter) (*cursorKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var k cursorKey
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		return nil, fmt.Errorf("cursor is not one this server returned; call again without cursor")
	}
	if k.Filter != f.fingerprint() {
		return nil, fmt.Errorf("cursor belongs to a listing with other filters; pass the same filters or start again without cursor")
	}
	return &k, nil
}
