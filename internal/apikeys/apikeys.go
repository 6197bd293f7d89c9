// Package apikeys holds the server's API keys: who may connect over HTTP,
// under which name (for logs and the audit trail) and with which role. Keys
// are kept only as SHA-256 digests and compared in constant time.
package apikeys

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Role says which tools a key may see and call.
type Role string

// Roles, from least to most privileged.
const (
	RoleRead    Role = "read"    // read-only tools
	RoleOperate Role = "operate" // also writes that destroy nothing (create, clone, power on)
	RoleAdmin   Role = "admin"   // every tool
)

// Roles lists every role, least privileged first.
func Roles() []Role { return []Role{RoleRead, RoleOperate, RoleAdmin} }

// ParseRole accepts read, operate or admin.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want read, operate or admin)", s)
}

// DefaultName is the name of the key given as the single api_key.
const DefaultName = "default"

// Entry is one configured key as the configuration file states it: the key
// itself or its SHA-256 digest (hex), never both.
type Entry struct {
	Name      string
	Key       string
	KeySHA256 string
	Role      string
}

// Key is an authenticated caller: its name and role, never the secret.
type Key struct {
	Name string
	Role Role
}

type stored struct {
	Key
	digest [sha256.Size]byte
}

// Set is an immutable set of keys.
type Set struct {
	keys []stored
}

// Build validates entries and returns the set. Every error is one line naming
// the entry: a missing or duplicate name, a duplicate key, an unknown role, a
// key given both ways or neither way, a digest that is not 64 hex digits.
func Build(entries []Entry) (*Set, error) {
	s := &Set{}
	names := map[string]bool{}
	digests := map[[sha256.Size]byte]string{}
	for i, e := range entries {
		name := strings.TrimSpace(e.Name)
		where := fmt.Sprintf("entry %d", i+1)
		if name != "" {
			where = fmt.Sprintf("entry %d (%s)", i+1, name)
		}
		if name == "" {
			return nil, fmt.Errorf("%s: name is missing", where)
		}
		if names[name] {
			return nil, fmt.Errorf("%s: the name %q is used twice", where, name)
		}
		names[name] = true
		role, err := ParseRole(strings.TrimSpace(e.Role))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		key, sum := strings.TrimSpace(e.Key), strings.TrimSpace(e.KeySHA256)
		var digest [sha256.Size]byte
		switch {
		case key != "" && sum != "":
			return nil, fmt.Errorf("%s: give key or key_sha256, not both", where)
		case key != "":
			digest = sha256.Sum256([]byte(key))
		case sum != "":
			b, err := hex.DecodeString(strings.ToLower(sum))
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%s: key_sha256 must be 64 hexadecimal digits (sha256sum of the key)", where)
			}
			copy(digest[:], b)
		default:
			return nil, fmt.Errorf("%s: key or key_sha256 is missing", where)
		}
		if other, dup := digests[digest]; dup {
			return nil, fmt.Errorf("%s: the same key as %s", where, other)
		}
		digests[digest] = name
		s.keys = append(s.keys, stored{Key: Key{Name: name, Role: role}, digest: digest})
	}
	return s, nil
}

// Len is the number of keys; 0 means no authentication.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Match returns the key whose secret is presented. Every key is compared, in
// constant time over SHA-256 digests, so neither the position of the match nor
// the length of a key leaks through timing.
func (s *Set) Match(presented string) (Key, bool) {
	if s == nil || presented == "" {
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(presented))
	found := -1
	for i := range s.keys {
		eq := subtle.ConstantTimeCompare(sum[:], s.keys[i].digest[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Key{}, false
	}
	return s.keys[found].Key, true
}

// Lookup returns the key named name, if the set holds it.
func (s *Set) Lookup(name string) (Key, bool) {
	if s == nil {
		return Key{}, false
	}
	for _, k := range s.keys {
		if k.Name == name {
			return k.Key, true
		}
	}
	return Key{}, false
}

// Names lists the keys' names in configuration order.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.keys))
	for i, k := range s.keys {
		out[i] = k.Name
	}
	return out
}

type ctxKey struct{}

// NewContext returns ctx carrying the authenticated key.
func NewContext(ctx context.Context, k Key) context.Context {
	return context.WithValue(ctx, ctxKey{}, k)
}

// FromContext returns the authenticated key ctx carries, if any.
func FromContext(ctx context.Context) (Key, bool) {
	k, ok := ctx.Value(ctxKey{}).(Key)
	return k, ok
}

// NameHeader carries the authenticated key's name from the HTTP layer to the
// MCP layer (which sees request headers, not the HTTP request's context). The
// HTTP layer removes whatever a client sent under this name before setting it.
const NameHeader = "X-Esxi-Mcp-Key-Name"

// NameFromHeader returns the key name the HTTP layer set, or "".
func NameFromHeader(h http.Header) string {
	if h == nil {
		return ""
	}
	return h.Get(NameHeader)
}
