package mcpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// checkArguments checks a tool's arguments against its input schema and
// applies the schema's defaults. Its errors are in words a model can act on
// ("memory must be at most 6291456 (MB)"); what the worded checks do not
// cover falls through to the schema validator's own message.
func checkArguments(in *jsonschema.Resolved, raw json.RawMessage) (json.RawMessage, error) {
	args := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, errors.New("the arguments must be a JSON object of named values")
		}
	}
	s := in.Schema()
	var problems []string
	if s.AdditionalProperties != nil && s.AdditionalProperties.Not != nil {
		known := slices.Sorted(maps.Keys(s.Properties))
		for _, name := range slices.Sorted(maps.Keys(args)) {
			if _, ok := s.Properties[name]; !ok {
				problems = append(problems, fmt.Sprintf("unknown argument %q (this tool takes: %s)", name, strings.Join(known, ", ")))
			}
		}
	}
	for _, name := range s.Required {
		if _, ok := args[name]; !ok {
			problems = append(problems, fmt.Sprintf("missing required argument %s (%s)", name, describe(s.Properties[name])))
		}
	}
	names := slices.Sorted(maps.Keys(args))
	for _, name := range names {
		if p, ok := s.Properties[name]; ok {
			if msg := checkValue(name, p, args[name]); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	if err := in.ApplyDefaults(&args); err != nil {
		return nil, fmt.Errorf("invalid arguments: %v", err)
	}
	if err := in.Validate(args); err != nil {
		return nil, fmt.Errorf("invalid arguments: %v", err)
	}
	return json.Marshal(args)
}

func describe(p *jsonschema.Schema) string {
	if p == nil || p.Description == "" {
		return "see the tool's input schema"
	}
	return p.Description
}

var unitPattern = regexp.MustCompile(`\bin (MB|GB|TB|seconds|minutes|hours|days)\b`)

// unit is the unit a property's description names ("memory in MB"), as " (MB)".
func unit(p *jsonschema.Schema) string {
	if m := unitPattern.FindStringSubmatch(p.Description); m != nil {
		return " (" + m[1] + ")"
	}
	return ""
}

// checkValue says in words what is wrong with one argument, or "".
func checkValue(name string, p *jsonschema.Schema, v any) string {
	types := p.Types
	if p.Type != "" {
		types = []string{p.Type}
	}
	if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return hasType(v, t) }) {
		return fmt.Sprintf("%s must be %s, got %s", name, strings.Join(article(types), " or "), jsonKind(v))
	}
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e any) bool { return e == v }) {
		vals := make([]string, len(p.Enum))
		for i, e := range p.Enum {
			vals[i] = fmt.Sprint(e)
		}
		return fmt.Sprintf("%s must be one of %s, got %v", name, strings.Join(vals, ", "), v)
	}
	switch x := v.(type) {
	case float64:
		u := unit(p)
		if p.Minimum != nil && x < *p.Minimum {
			return fmt.Sprintf("%s must be at least %s%s, got %s", name, num(*p.Minimum), u, num(x))
		}
		if p.Maximum != nil && x > *p.Maximum {
			return fmt.Sprintf("%s must be at most %s%s, got %s", name, num(*p.Maximum), u, num(x))
		}
		if p.MultipleOf != nil && *p.MultipleOf > 0 && math.Mod(x, *p.MultipleOf) != 0 {
			return fmt.Sprintf("%s must be a multiple of %s%s, got %s", name, num(*p.MultipleOf), u, num(x))
		}
	case string:
		n := utf8.RuneCountInString(x)
		if p.MinLength != nil && n < *p.MinLength {
			if *p.MinLength == 1 {
				return fmt.Sprintf("%s must not be empty", name)
			}
			return fmt.Sprintf("%s must be at least %d characters long, got %d", name, *p.MinLength, n)
		}
		if p.MaxLength != nil && n > *p.MaxLength {
			return fmt.Sprintf("%s must be at most %d characters long, got %d", name, *p.MaxLength, n)
		}
		if p.Pattern != "" {
			if re, err := regexp.Compile(p.Pattern); err == nil && !re.MatchString(x) {
				return fmt.Sprintf("%s %q is not valid: %s", name, x, describe(p))
			}
		}
	}
	return ""
}

func hasType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return fmt.Sprintf("the string %q", x)
	case float64:
		return "the number " + num(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func article(types []string) []string {
	out := make([]string, 0, len(types))
	for _, t := range types {
		switch t {
		case "integer", "array", "object":
			out = append(out, "an "+t)
		case "null":
			out = append(out, "null")
		default:
			out = append(out, "a "+t)
		}
	}
	sort.Strings(out)
	return out
}

func num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(f)
}
