package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"object session[d781f97a-1c2b-4e5d-8f90-a1b2c3d4e5f6]16d86454-aaaa-bbbb-cccc-ddddeeeeffff no longer exists",
			"object session[redacted] no longer exists"},
		{"The object 'vim.PropertyCollector:session[52a8c0ee-2cd1-7b6e-7f4c-b0d1a7d4f8aa]5283ad0d-3c10-5c41-e0b1-cf10e8e1d7c4' has already been deleted",
			"The object 'vim.PropertyCollector:session[redacted]' has already been deleted"},
		{`Cookie: vmware_soap_session="b1e2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"; Path=/; HttpOnly`, "Cookie: [redacted]"},
		{`set vmware_soap_session="abc123"; Path=/`, `set vmware_soap_session=[redacted]; Path=/`},
		{"vmware_soap_session=abc123; Path=/", "vmware_soap_session=[redacted]; Path=/"},
		{"header vmware-api-session-id: 0f1e2d3c4b5a", "header vmware-api-session-id: [redacted]"},
		{"VM vm-42 (uuid 4207c3b1-0e2a-4c4e-9d36-5a1c1f3f8e77) powered on", "VM vm-42 (uuid 4207c3b1-0e2a-4c4e-9d36-5a1c1f3f8e77) powered on"},
		{`header "vmware_soap_session=\"52abcdef0123\""`, `header "vmware_soap_session=[redacted]"`},
		{`{"cookie":"vmware_soap_session=\"52abcdef9999\"; Path=/"}`, `{"cookie":"vmware_soap_session=[redacted]; Path=/"}`},
		{"VM my session[1]x not found", "VM my session[1]x not found"},
		{"", ""},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	for _, c := range cases {
		if once := String(c.in); String(once) != once {
			t.Errorf("String is not idempotent on %q: %q, then %q", c.in, once, String(once))
		}
	}
	for _, secret := range []string{"d781f97a", "16d86454", "b1e2c3d4", "abc123", "0f1e2d3c", "52abcdef"} {
		for _, c := range cases {
			if strings.Contains(String(c.in), secret) {
				t.Errorf("String(%q) keeps %s", c.in, secret)
			}
		}
	}
}
