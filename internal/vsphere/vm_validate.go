package vsphere

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
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

// CheckNewName checks the name of a VM about to be made or renamed (create,
// clone, rename), so that a name vSphere cannot hold safely is refused before
// anything changes. Errors name the argument as "name"; ValidateVMName names
// another argument.
func CheckNewName(name string) error { return ValidateVMName("name", name) }

// ValidateVMName checks a new VM name given in argument field. Refused:
//   - an empty name, or one longer than MaxNameLength characters;
//   - "." and "..": vSphere names the VM's folder on the datastore after it,
//     and these name a directory itself or its parent;
//   - control characters (NUL, newline, any unicode.IsControl): they cut or
//     split the name in datastore paths, logs and the vSphere Client;
//   - whitespace at either end: invisible, and another VM's name with or
//     without it is a different name;
//   - / and \: a name is not a path (use folder);
//   - %: vCenter stores %, / and \ in inventory names escaped (%25, %2f,
//     %5c), so the VM would be listed, found and deleted under another name
//     than the one asked for, and its datastore folder named after neither.
func ValidateVMName(field, name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%s must not be empty", field)
	case n > MaxNameLength:
		return fmt.Errorf("%s %q is %d characters long; at most %d are allowed", field, name, n, MaxNameLength)
	case !utf8.ValidString(name):
		return fmt.Errorf("%s %q is not valid UTF-8", field, name)
	}
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Errorf("%s %q must not contain control characters (found %U); use letters, digits, spaces, - or _", field, name, r)
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	switch {
	case name == "." || name == "..":
		return fmt.Errorf("%s %q is not allowed: vSphere names the VM's folder on the datastore after it, and %q is a directory itself or its parent", field, name, name)
	case unicode.IsSpace(first) || unicode.IsSpace(last):
		return fmt.Errorf("%s %q must not begin or end with spaces (or other whitespace)", field, name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%s %q must not contain / or \\ (a VM name is not a path: use folder to choose where it goes)", field, name)
	case strings.Contains(name, "%"):
		return fmt.Errorf("%s %q must not contain %%: vCenter stores %% in inventory names escaped as %%25, so the VM would be listed under another name than this one; choose a name without %%", field, name)
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
