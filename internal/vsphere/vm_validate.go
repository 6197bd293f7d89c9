package vsphere

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vmware/govmomi/vim25/types"
)

// Bounds of a new VM's hardware, checked before anything is created.
const (
	MaxNameLength = 80
	MinCPUs       = 1
	MaxCPUs       = 128
	MinMemoryMB   = 4
	MaxMemoryMB   = 6 * 1024 * 1024 // 6 TB
	MinDiskGB     = 1
	MaxDiskGB     = 62 * 1024 // 62 TB, the largest VMDK
	DefaultDiskGB = 10
	// DefaultGuestID is a generic 64-bit guest.
	DefaultGuestID = string(types.VirtualMachineGuestOsIdentifierOtherGuest64)
)

// ValidateVMName checks a new VM's name the way vCenter will, so that a bad
// name is refused before anything is created.
func ValidateVMName(field, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%s must not be empty", field)
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("%s %q is %d characters long; at most %d are allowed", field, name, utf8.RuneCountInString(name), MaxNameLength)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%s %q must not contain / or \\ (a VM name is not a path: use folder to choose where it goes)", field, name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%s %q must not begin or end with spaces", field, name)
	}
	return nil
}

// validateCPUs checks a vCPU count; hostMax is the target's maximum when known (else 0).
func validateCPUs(cpus int, hostMax int32, where string) error {
	if cpus < MinCPUs || cpus > MaxCPUs {
		return fmt.Errorf("cpu must be between %d and %d, got %d", MinCPUs, MaxCPUs, cpus)
	}
	if hostMax > 0 && cpus > int(hostMax) {
		return fmt.Errorf("cpu %d is more than %s supports (at most %d vCPUs per VM)", cpus, where, hostMax)
	}
	return nil
}

func validateMemory(mb int) error {
	if mb < MinMemoryMB || mb > MaxMemoryMB {
		return fmt.Errorf("memory must be between %d MB and %d MB (6 TB), got %d", MinMemoryMB, MaxMemoryMB, mb)
	}
	if mb%4 != 0 {
		return fmt.Errorf("memory must be a multiple of 4 MB, got %d (try %d)", mb, mb/4*4+4)
	}
	return nil
}

func validateDisk(gb int) error {
	if gb < MinDiskGB || gb > MaxDiskGB {
		return fmt.Errorf("disk_gb must be between %d and %d (62 TB), got %d", MinDiskGB, MaxDiskGB, gb)
	}
	return nil
}

// validateGuestID accepts the guest identifiers vSphere knows, suggesting close ones otherwise.
func validateGuestID(id string) error {
	known := types.VirtualMachineGuestOsIdentifier("").Strings()
	if slices.Contains(known, id) {
		return nil
	}
	low := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(id, "Guest"), "_64"))
	var similar []string
	for _, k := range known {
		if low != "" && strings.Contains(strings.ToLower(k), low) {
			similar = append(similar, k)
		}
	}
	if len(similar) > 8 {
		similar = similar[:8]
	}
	msg := fmt.Sprintf("guest_id %q is not a vSphere guest OS identifier", id)
	if len(similar) > 0 {
		return fmt.Errorf("%s; similar: %s", msg, strings.Join(similar, ", "))
	}
	return fmt.Errorf("%s; examples: %s, ubuntu64Guest, rhel9_64Guest, windows2019srv_64Guest", msg, DefaultGuestID)
}
