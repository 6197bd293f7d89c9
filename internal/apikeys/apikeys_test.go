package apikeys

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestBuildRefusesBadEntries(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"missing name", []Entry{{Key: "a", Role: "read"}}, "name is missing"},
		{"duplicate name", []Entry{{Name: "ci", Key: "a", Role: "read"}, {Name: "ci", Key: "b", Role: "read"}}, `"ci" is used twice`},
		{"duplicate key", []Entry{{Name: "a", Key: "s3cr3t-dup", Role: "read"}, {Name: "b", Key: "s3cr3t-dup", Role: "admin"}}, "the same key as a"},
		{"duplicate key as digest", []Entry{{Name: "a", Key: "s3cr3t-dup", Role: "read"}, {Name: "b", KeySHA256: strings.ToUpper(digest("s3cr3t-dup")), Role: "read"}}, "the same key as a"},
		{"unknown role", []Entry{{Name: "a", Key: "k", Role: "root"}}, `unknown role "root"`},
		{"both forms", []Entry{{Name: "a", Key: "k", KeySHA256: digest("k"), Role: "read"}}, "not both"},
		{"neither form", []Entry{{Name: "a", Role: "read"}}, "key or key_sha256 is missing"},
		{"short digest", []Entry{{Name: "a", KeySHA256: "abc", Role: "read"}}, "64 hexadecimal digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			for _, e := range tt.entries {
				if e.Key != "" && strings.Contains(err.Error(), e.Key) && len(e.Key) > 1 {
					t.Errorf("error reveals the key: %q", err)
				}
			}
		})
	}
}

func TestMatch(t *testing.T) {
	set, err := Build([]Entry{
		{Name: "reader", Key: "r-key-123", Role: "read"},
		{Name: "ops", KeySHA256: digest("o-key-456"), Role: "operate"},
		{Name: "boss", Key: "a-key-789", Role: "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		presented string
		want      Key
		ok        bool
	}{
		{"r-key-123", Key{"reader", RoleRead}, true},
		{"o-key-456", Key{"ops", RoleOperate}, true},
		{"a-key-789", Key{"boss", RoleAdmin}, true},
		{"r-key-12", Key{}, false},
		{"r-key-1234", Key{}, false},
		{"", Key{}, false},
		{digest("o-key-456"), Key{}, false}, // the digest is not the key
	}
	for _, tt := range tests {
		got, ok := set.Match(tt.presented)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Match(%q) = %v %v, want %v %v", tt.presented, got, ok, tt.want, tt.ok)
		}
	}
}
