package vsphere

import (
	"strings"
	"testing"
)

func TestMaskBits(t *testing.T) {
	for _, c := range []struct {
		mask string
		bits int
		bad  bool
	}{
		{"255.255.255.0", 24, false},
		{"255.255.255.252", 30, false},
		{"255.0.0.0", 8, false},
		{"255.255.255.255", 32, false},
		{"0.0.0.0", 0, true},
		{"255.0.255.0", 0, true},
		{"255.255.255.1", 0, true},
		{"24", 0, true},
		{"ffff::", 0, true},
	} {
		bits, err := maskBits(c.mask)
		if (err != nil) != c.bad || bits != c.bits {
			t.Errorf("maskBits(%q) = %d, %v; want %d, bad %v", c.mask, bits, err, c.bits, c.bad)
		}
	}
}

func TestGuestFamily(t *testing.T) {
	for id, want := range map[string]string{
		"ubuntu64Guest": "linux", "rhel9_64Guest": "linux", "otherLinux64Guest": "linux", "centos8_64Guest": "linux",
		"sles15_64Guest": "linux", "debian12_64Guest": "linux", "windows2019srv_64Guest": "windows", "windows9_64Guest": "windows",
		"otherGuest64": "", "otherGuest": "", "darwin21_64Guest": "", "freebsd13_64Guest": "", "solaris11_64Guest": "",
	} {
		if got := guestFamily(id); got != want {
			t.Errorf("guestFamily(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestCustomizationValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Customization
		want string // "" means valid
	}{
		{"static", Customization{Hostname: "web-01", Domain: "corp.example.com", IP: "10.1.2.3", Netmask: "255.255.0.0", Gateway: "10.1.0.1", DNS: []string{"10.1.0.53"}}, ""},
		{"dhcp", Customization{Hostname: "web", DHCP: true}, ""},
		{"spec", Customization{SpecName: "linux-dhcp"}, ""},
		{"network address", Customization{IP: "10.1.0.0", Netmask: "255.255.0.0"}, "network or broadcast"},
		{"point-to-point /31 is fine", Customization{IP: "10.1.0.0", Netmask: "255.255.255.254"}, ""},
		{"gateway is the VM", Customization{IP: "10.1.0.5", Netmask: "255.255.255.0", Gateway: "10.1.0.5"}, "own address"},
		{"IPv6 address", Customization{IP: "fe80::1", Netmask: "255.255.255.0"}, "not an IPv4 address"},
		{"hostname too long", Customization{Hostname: strings.Repeat("h", 64)}, "not a valid host name"},
		{"hostname ending in a hyphen", Customization{Hostname: "web-"}, "not a valid host name"},
	} {
		err := c.in.validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
