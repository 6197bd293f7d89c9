package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Options are the inputs to Load besides the file itself.
type Options struct {
	// File is the path given with -c; when empty, MCP_CONFIG_FILE is consulted.
	File string
	// Flags holds the flags the user actually set, keyed by configuration key name
	// (e.g. "listen", "simulator"); bool flags hold "true" or "false".
	Flags map[string]string
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Load builds the configuration: flag > environment > file > default. An
// environment variable that is set but empty does not override the file.
func Load(opts Options) (*Config, error) {
	env := opts.LookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	c := &Config{origin: map[string]string{}}

	file := opts.File
	if file == "" {
		if v, ok := env("MCP_CONFIG_FILE"); ok && strings.TrimSpace(v) != "" {
			file = strings.TrimSpace(v)
		}
	}
	if file != "" {
		values, err := readFile(file)
		if err != nil {
			return nil, err
		}
		c.File = file
		for _, name := range sortedKeys(values) {
			k, ok := lookupKey(name)
			if !ok {
				return nil, fmt.Errorf("config file %s: unknown key %q (known keys: %s)", file, name, knownKeys())
			}
			if err := setFromFile(c, k, values[name]); err != nil {
				return nil, fmt.Errorf("config file %s: key %q: %w", file, name, err)
			}
			c.origin[name] = "file " + file
		}
	}

	for _, k := range keys {
		if k.env == "" {
			continue
		}
		v, ok := env(k.env)
		if !ok || v == "" {
			continue
		}
		if err := setFromString(c, k, v); err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", k.env, err)
		}
		c.origin[k.name] = "env " + k.env
	}

	for name, v := range opts.Flags {
		k, ok := lookupKey(name)
		if !ok || k.flag == "" {
			return nil, fmt.Errorf("internal: flag for unknown key %q", name)
		}
		if err := setFromString(c, k, v); err != nil {
			return nil, fmt.Errorf("flag --%s: %w", k.flag, err)
		}
		c.origin[name] = "flag --" + k.flag
	}

	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Transport == "" {
		c.Transport = TransportHTTP
	}
	if c.LogLevel == "" {
		c.LogLevel = "INFO"
	}
	if c.Network == "" {
		c.Network = DefaultNetwork
		c.NetworkDefaulted = true
	}
	if !c.isSet("task_wait_seconds") {
		c.TaskWaitSeconds = DefaultTaskWaitSeconds
	}
	if c.VCenterMaxConcurrency == 0 {
		c.VCenterMaxConcurrency = DefaultVCenterMaxConcurrency
	}
	if c.ConfirmDestructive == "" {
		c.ConfirmDestructive = ConfirmAuto
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.MaxConcurrentCalls == 0 {
		c.MaxConcurrentCalls = DefaultMaxConcurrentCalls
	}
	if c.SessionIdleTimeout == 0 {
		c.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
}

// isSet reports whether a key was given by file, environment or flag.
func (c *Config) isSet(name string) bool {
	_, ok := c.origin[name]
	return ok
}

func readFile(path string) (map[string]any, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".yaml" && ext != ".yml" && ext != ".json" {
		return nil, fmt.Errorf("config file %s: unsupported extension %q (use .yaml, .yml or .json)", path, ext)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s: does not exist", path)
		}
		return nil, fmt.Errorf("config file %s: %w", path, errors.Unwrap(err))
	}
	values := map[string]any{}
	if ext == ".json" {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&values); err != nil {
			if errors.Is(err, io.EOF) {
				return values, nil
			}
			return nil, fmt.Errorf("config file %s: invalid JSON: %v", path, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("config file %s: invalid JSON: more than one value", path)
		}
		return values, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config file %s: invalid YAML: %s", path, oneLine(err.Error()))
	}
	if len(doc.Content) == 0 {
		return values, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s: expected a mapping of key: value at line %d", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		if _, dup := values[kn.Value]; dup {
			return nil, fmt.Errorf("config file %s: key %q appears twice (line %d)", path, kn.Value, kn.Line)
		}
		if vn.Kind == yaml.SequenceNode {
			var list []any
			if err := vn.Decode(&list); err != nil {
				return nil, fmt.Errorf("config file %s: key %q: %s", path, kn.Value, oneLine(err.Error()))
			}
			values[kn.Value] = list
			continue
		}
		values[kn.Value] = yamlScalar(vn)
	}
	return values, nil
}

// yamlScalar converts a YAML value node to string, bool, number or a marker of
// another kind, keeping quoted scalars as strings ("false" stays a string).
func yamlScalar(n *yaml.Node) any {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return kindMarker("a " + map[yaml.Kind]string{yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}[n.Kind])
	}
	switch n.Tag {
	case "!!str":
		return n.Value
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!null":
		return nil
	case "!!int", "!!float":
		return json.Number(n.Value)
	}
	return n.Value
}

type kindMarker string

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", v)
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case json.Number:
		return "number " + v.String()
	case float64:
		return fmt.Sprintf("number %v", v)
	case kindMarker:
		return string(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func setFromFile(c *Config, k key, v any) error {
	switch {
	case k.keys != nil:
		entries, err := keyEntries(v)
		if err != nil {
			return err
		}
		*k.keys(c) = entries
		return nil
	case k.int != nil:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("want a whole number (unquoted), got %s", describe(v))
		}
		return setInt(c, k, n.String())
	case k.dur != nil:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a duration such as \"30m\" or \"90s\", got %s", describe(v))
		}
		return setDuration(c, k, s)
	}
	if k.bool != nil {
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want a boolean (true or false, unquoted), got %s", describe(v))
		}
		*k.bool(c) = b
		return nil
	}
	s, ok := v.(string)
	if !ok {
		if k.name == "vcenter_password" || k.name == "api_key" {
			return fmt.Errorf("want a string, got a value of another type (quote it)")
		}
		return fmt.Errorf("want a string, got %s (quote it if it is meant as text)", describe(v))
	}
	*k.str(c) = s
	return nil
}

func setFromString(c *Config, k key, v string) error {
	switch {
	case k.keys != nil:
		return fmt.Errorf("%s can only be given in the config file (a list has no environment form)", k.name)
	case k.int != nil:
		return setInt(c, k, v)
	case k.dur != nil:
		return setDuration(c, k, v)
	}
	if k.bool != nil {
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*k.bool(c) = b
		return nil
	}
	*k.str(c) = v
	return nil
}

func setInt(c *Config, k key, v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("want a whole number, got %q", v)
	}
	if n < 0 {
		return fmt.Errorf("want a number of at least 0, got %d", n)
	}
	*k.int(c) = n
	return nil
}

func setDuration(c *Config, k key, v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as \"30m\" or \"90s\", got %q", v)
	}
	*k.dur(c) = d
	return nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", v)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func knownKeys() string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
