package vsphere

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// The MCP schema bounds the same values; these checks hold for any caller.
func TestCreateSpecValidation(t *testing.T) {
	ok := CreateVMSpec{Name: "web-01", CPUs: 2, MemoryMB: 2048}
	cases := []struct {
		name string
		edit func(*CreateVMSpec)
		want string // "" when valid
	}{
		{"valid", func(*CreateVMSpec) {}, ""},
		{"80 characters", func(s *CreateVMSpec) { s.Name = strings.Repeat("é", 80) }, ""},
		{"81 characters", func(s *CreateVMSpec) { s.Name = strings.Repeat("é", 81) }, "at most 80"},
		{"empty", func(s *CreateVMSpec) { s.Name = "" }, "must not be empty"},
		{"slash", func(s *CreateVMSpec) { s.Name = "a/b" }, "must not contain /"},
		{"backslash", func(s *CreateVMSpec) { s.Name = `a\b` }, "must not contain /"},
		{"padded", func(s *CreateVMSpec) { s.Name = " web" }, "begin or end with spaces"},
		{"trailing tab", func(s *CreateVMSpec) { s.Name = "web\t" }, "control characters"},
		{"dot", func(s *CreateVMSpec) { s.Name = "." }, "is not allowed"},
		{"dot dot", func(s *CreateVMSpec) { s.Name = ".." }, "is not allowed"},
		{"dots inside", func(s *CreateVMSpec) { s.Name = "a..b" }, ""},
		{"NUL", func(s *CreateVMSpec) { s.Name = "a\x00b" }, "control characters (found U+0000)"},
		{"newline", func(s *CreateVMSpec) { s.Name = "a\nb" }, "control characters (found U+000A)"},
		{"C1 control", func(s *CreateVMSpec) { s.Name = "a\u0085b" }, "control characters"},
		{"no-break space at the end", func(s *CreateVMSpec) { s.Name = "web\u00a0" }, "begin or end with spaces"},
		{"percent", func(s *CreateVMSpec) { s.Name = "50%-off" }, "must not contain %"},
		{"escaped-looking", func(s *CreateVMSpec) { s.Name = "a%20b" }, "must not contain %"},
		{"invalid UTF-8", func(s *CreateVMSpec) { s.Name = "a\xffb" }, "not valid UTF-8"},
		{"no cpu", func(s *CreateVMSpec) { s.CPUs = 0 }, "cpu must be between 1 and 128"},
		{"too many cpus", func(s *CreateVMSpec) { s.CPUs = 129 }, "cpu must be between 1 and 128"},
		{"odd memory", func(s *CreateVMSpec) { s.MemoryMB = 1023 }, "multiple of 4 MB, got 1023 (try 1024)"},
		{"tiny memory", func(s *CreateVMSpec) { s.MemoryMB = 2 }, "between 4 MB"},
		{"6 TB", func(s *CreateVMSpec) { s.MemoryMB = 6 << 20 }, ""},
		{"over 6 TB", func(s *CreateVMSpec) { s.MemoryMB = 6<<20 + 4 }, "6 TB"},
		{"negative disk", func(s *CreateVMSpec) { s.DiskGB = -1 }, "disk_gb must be between 1 and 63488"},
		{"62 TB disk", func(s *CreateVMSpec) { s.DiskGB = 62 << 10 }, ""},
		{"huge disk", func(s *CreateVMSpec) { s.DiskGB = 62<<10 + 1 }, "62 TB"},
		{"guest id", func(s *CreateVMSpec) { s.GuestID = "rhel9_64Guest" }, ""},
		{"unknown guest id", func(s *CreateVMSpec) { s.GuestID = "windows" }, `guest_id "windows" is not a vSphere guest OS identifier; similar:`},
		{"several problems at once", func(s *CreateVMSpec) { s.Name, s.CPUs = "", 0 }, "cpu must be"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.edit(&s)
			err := s.validate()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
	s := ok
	if err := s.validate(); err != nil || s.DiskGB != DefaultDiskGB || s.GuestID != "otherGuest64" {
		t.Errorf("defaults: disk %d guest %s err %v", s.DiskGB, s.GuestID, err)
	}
}

func TestCPUHostLimit(t *testing.T) {
	if err := validateCPUs(16, 8, "host esx1"); err == nil || !strings.Contains(err.Error(), "host esx1 supports (at most 8") {
		t.Errorf("got %v", err)
	}
	if err := validateCPUs(16, 0, "host esx1"); err != nil {
		t.Errorf("an unknown limit refused 16 vCPUs: %v", err)
	}
}

// TestTrackerOnlyIncreases: MCP progress must increase; several tasks share one 0–100 scale.
func TestTrackerOnlyIncreases(t *testing.T) {
	var got []float64
	tr := newTracker(func(p float64, _ string) { got = append(got, p) }, 2)
	tr.note(0, "first task queued")
	tr.note(0, "first task running") // not an increase: dropped
	tr.note(50, "first half way")
	tr.note(40, "a late, older report") // dropped
	tr.stepDone("first done")
	tr.note(0, "second task running") // 50% overall again: dropped
	tr.note(50, "second half way")
	tr.stepDone("second done")
	want := []float64{0, 25, 50, 75, 100}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	var nilTracker *tracker
	nilTracker.note(10, "no one listens") // must not panic
	nilTracker.stepDone("done")
}

// TestNoNetworkAtAll: only when the target has no network at all does a VM get no NIC.
func TestNoNetworkAtAll(t *testing.T) {
	cr := types.ManagedObjectReference{Type: "ClusterComputeResource", Value: "c1"}
	pi := &placementInventory{computes: []computeInfo{{ref: cr, name: "empty"}}}
	tgt := &target{compute: pi.computes[0]}
	n, err := pi.resolveNetwork("", Named{Name: "VM Network"}, tgt)
	if n != nil || err != nil {
		t.Errorf("no network at all: got %v, %v; want no NIC and no error", n, err)
	}
	if _, err := pi.resolveNetwork("VM Network", Named{}, tgt); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a named network that does not exist: %v", err)
	}

	net := types.ManagedObjectReference{Type: "Network", Value: "n1"}
	pi.networks = []networkInfo{{ref: net, name: "Lab"}}
	pi.computes[0].network = []types.ManagedObjectReference{net}
	tgt = &target{compute: pi.computes[0]}
	if _, err := pi.resolveNetwork("", Named{}, tgt); err == nil || !strings.Contains(err.Error(), "pass network: one of Lab") {
		t.Errorf("networks exist but no default: %v", err)
	}
}
