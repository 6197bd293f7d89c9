package vsphere

import (
	"context"
	"fmt"
	"strings"
)

// ConsentFacts are what a person needs to know about a VM before approving a
// destructive change to it: which VM exactly, where it runs, and what it holds.
type ConsentFacts struct {
	VM         VMRef
	Host       string
	PowerState string
	Template   bool
	Disks      int
	DiskGB     float64
	Snapshots  int
}

// DescribeForConsent reads the facts of the VM reference names (name, path,
// id or UUID; an ambiguous name is refused as everywhere else).
func (c *Client) DescribeForConsent(ctx context.Context, reference string) (*ConsentFacts, error) {
	d, err := c.GetVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	f := &ConsentFacts{
		VM: refOf(&d.VMSummary), Host: d.Host, PowerState: d.PowerState, Template: d.Template,
		Disks: len(d.Disks), Snapshots: len(d.Snapshots),
	}
	for _, disk := range d.Disks {
		f.DiskGB += disk.CapacityGB
	}
	return f, nil
}

// Subject names the VM in full: "VM web-01 (vm-82, /DC0/vm/prod/web-01) on
// host esx-01 is poweredOn".
func (f *ConsentFacts) Subject() string {
	what := "VM"
	if f.Template {
		what = "Template"
	}
	s := fmt.Sprintf("%s %s (%s, %s)", what, f.VM.Name, f.VM.ID, f.VM.Path)
	if f.Host != "" {
		s += " on host " + f.Host
	}
	if !f.Template {
		s += " is " + f.PowerState
	}
	return s
}

// Holdings says what deleting the VM removes: "2 disks, 60 GB" (and snapshots).
func (f *ConsentFacts) Holdings() string {
	parts := []string{plural(f.Disks, "disk") + fmt.Sprintf(", %s GB", trimGB(f.DiskGB))}
	if f.Snapshots > 0 {
		parts = append(parts, plural(f.Snapshots, "snapshot"))
	}
	return strings.Join(parts, " and ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func trimGB(gb float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", gb), "0"), ".")
}
