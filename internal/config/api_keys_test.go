package config

import (
	"strings"
	"testing"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/apikeys"
)

const digestOfOpsKey = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" // sha256("secret")

// TestAPIKeysFromFile: api_keys is read from YAML and JSON as a list of
// mappings, joined by api_key as the admin key "default".
func TestAPIKeysFromFile(t *testing.T) {
	yamlFile := writeFile(t, "c.yaml", baseYAML+`api_key: "legacy-key-1"
listen: 0.0.0.0:8080
api_keys:
  - name: dashboard
    key: "read-key-1"
    role: read
  - {name: ops, key_sha256: "`+digestOfOpsKey+`", role: operate}
`)
	jsonFile := writeFile(t, "c.json", `{"vcenter_host":"vc","vcenter_user":"u","vcenter_password":"p","api_key":"legacy-key-1","listen":"0.0.0.0:8080",
"api_keys":[{"name":"dashboard","key":"read-key-1","role":"read"},{"name":"ops","key_sha256":"`+digestOfOpsKey+`","role":"operate"}]}`)
	for _, file := range []string{yamlFile, jsonFile} {
		c, err := Load(Options{File: file, LookupEnv: envOf(nil)})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		set, err := c.KeySet()
		if err != nil {
			t.Fatal(err)
		}
		for presented, want := range map[string]apikeys.Key{
			"read-key-1":   {Name: "dashboard", Role: apikeys.RoleRead},
			"secret":       {Name: "ops", Role: apikeys.RoleOperate},
			"legacy-key-1": {Name: "default", Role: apikeys.RoleAdmin},
		} {
			if got, ok := set.Match(presented); !ok || got != want {
				t.Errorf("%s: key %s matched %v %v, want %v", file, presented, got, ok, want)
			}
		}
		logged := c.keyNames()
		if strings.Contains(logged, "read-key-1") || !strings.Contains(logged, "dashboard=read") {
			t.Errorf("logged keys %q: want names and roles, no keys", logged)
		}
	}
}

// TestAPIKeysRefused: each mistake stops the start with one line naming
// api_keys, the file and the entry, and never the key.
func TestAPIKeysRefused(t *testing.T) {
	tests := []struct {
		name, keys, want string
	}{
		{"unknown role", `[{name: a, key: "k-111", role: root}]`, `unknown role "root"`},
		{"duplicate name", `[{name: a, key: "k-111", role: read}, {name: a, key: "k-222", role: read}]`, `"a" is used twice`},
		{"duplicate key", `[{name: a, key: "k-111", role: read}, {name: b, key: "k-111", role: admin}]`, "the same key as a"},
		{"unknown field", `[{name: a, key: "k-111", role: read, scope: all}]`, `unknown field "scope"`},
		{"not a list", `"k-111"`, "want a list"},
		{"entry not a mapping", `["k-111"]`, "want a mapping"},
		{"number key", `[{name: a, key: 12345, role: read}]`, "quote it"},
		{"name clashes with api_key", `[{name: default, key: "k-111", role: read}]`, `"default" is used twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "c.yaml", baseYAML+"api_key: \"legacy-key-1\"\napi_keys: "+tt.keys+"\n")
			_, err := Load(Options{File: file, LookupEnv: envOf(nil)})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "api_keys") {
				t.Fatalf("Load = %v, want an error naming api_keys with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "k-111") || strings.Contains(err.Error(), "legacy-key-1") {
				t.Errorf("error is not one line without keys: %q", err)
			}
		})
	}
}

// TestAPIKeysAloneAllowPublicListen: api_keys without api_key is enough to
// listen beyond loopback.
func TestAPIKeysAloneAllowPublicListen(t *testing.T) {
	file := writeFile(t, "c.yaml", baseYAML+"listen: 0.0.0.0:8080\napi_keys: [{name: a, key: \"k-111\", role: read}]\n")
	if _, err := Load(Options{File: file, LookupEnv: envOf(nil)}); err != nil {
		t.Fatal(err)
	}
	file = writeFile(t, "c.yaml", baseYAML+"listen: 0.0.0.0:8080\n")
	if _, err := Load(Options{File: file, LookupEnv: envOf(nil)}); err == nil {
		t.Fatal("no key at all on 0.0.0.0: want an error")
	}
}
