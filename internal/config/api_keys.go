package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

// keyEntries reads the api_keys list: a list of mappings with the fields
// name, key or key_sha256, and role.
func keyEntries(v any) ([]apikeys.Entry, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of {name, key or key_sha256, role}, got %s", kindOf(v))
	}
	out := make([]apikeys.Entry, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry %d: want a mapping of name, key or key_sha256, role; got %s", i+1, kindOf(item))
		}
		var e apikeys.Entry
		for _, field := range sortedKeys(m) {
			var dst *string
			switch field {
			case "name":
				dst = &e.Name
			case "key":
				dst = &e.Key
			case "key_sha256":
				dst = &e.KeySHA256
			case "role":
				dst = &e.Role
			default:
				return nil, fmt.Errorf("entry %d: unknown field %q (known fields: name, key, key_sha256, role)", i+1, field)
			}
			s, ok := m[field].(string)
			if !ok {
				if field == "key" {
					return nil, fmt.Errorf("entry %d: field key: want a string, got a value of another type (quote it)", i+1)
				}
				return nil, fmt.Errorf("entry %d: field %s: want a string, got %s", i+1, field, kindOf(m[field]))
			}
			*dst = s
		}
		out = append(out, e)
	}
	return out, nil
}

// KeyEntries are every API key the server accepts: api_keys, plus api_key as
// an admin key named "default".
func (c *Config) KeyEntries() []apikeys.Entry {
	entries := append([]apikeys.Entry(nil), c.APIKeys...)
	if c.APIKey != "" {
		entries = append(entries, apikeys.Entry{Name: apikeys.DefaultName, Key: c.APIKey, Role: string(apikeys.RoleAdmin)})
	}
	return entries
}

// KeySet builds the key set from KeyEntries (Validate has checked it).
func (c *Config) KeySet() (*apikeys.Set, error) {
	set, err := apikeys.Build(c.KeyEntries())
	if err != nil {
		name := "api_keys"
		if !c.isSet(name) {
			name = "api_key"
		}
		return nil, c.errorf(name, "%v", err)
	}
	return set, nil
}

// keyNames lists the configured keys' names (never the keys), for the log.
func (c *Config) keyNames() string {
	var names []string
	for _, e := range c.KeyEntries() {
		names = append(names, e.Name+"="+e.Role)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// kindOf names a value's kind without its content: api_keys holds secrets.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "a number"
}
