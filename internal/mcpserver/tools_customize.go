package mcpserver

import (
	"fmt"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// guestCustomizationInput is clone_vm's guest customization: the clone's own
// host name and network settings, or a specification stored in vCenter.
type guestCustomizationInput struct {
	Hostname          string   `json:"hostname,omitempty" jsonschema:"guest customization: the clone's host (computer) name, letters, digits and hyphens (default when customizing: the clone's name)"`
	Domain            string   `json:"domain,omitempty" jsonschema:"guest customization: DNS domain of the clone, e.g. corp.example.com"`
	IP                string   `json:"ip,omitempty" jsonschema:"guest customization: static IPv4 address of the clone's first network adapter (with netmask; other adapters use DHCP)"`
	Netmask           string   `json:"netmask,omitempty" jsonschema:"guest customization: netmask of ip, e.g. 255.255.255.0"`
	Gateway           string   `json:"gateway,omitempty" jsonschema:"guest customization: default gateway, in ip's network"`
	DNS               []string `json:"dns,omitempty" jsonschema:"guest customization: DNS server addresses"`
	DHCP              bool     `json:"dhcp,omitempty" jsonschema:"guest customization: every adapter takes its address from DHCP (the default when customizing without ip)"`
	CustomizationSpec string   `json:"customization_spec,omitempty" jsonschema:"guest customization: name of a customization specification stored in vCenter, instead of the fields above"`
}

func (in guestCustomizationInput) customization() *vsphere.Customization {
	c := &vsphere.Customization{
		Hostname: in.Hostname, Domain: in.Domain, IP: in.IP, Netmask: in.Netmask, Gateway: in.Gateway,
		DNS: in.DNS, DHCP: in.DHCP, SpecName: in.CustomizationSpec,
	}
	if c.IsZero() {
		return nil
	}
	return c
}

// customizationNote says, after a clone's summary, how its guest is customized.
func customizationNote(c *vsphere.CustomizationSummary) string {
	if c == nil {
		return ""
	}
	what := "DHCP"
	switch {
	case c.Spec != "":
		what = "stored specification " + c.Spec
	case !c.DHCP:
		what = c.IP + "/" + c.Netmask
	}
	return fmt.Sprintf(" Its %s guest is customized (%s) by VMware Tools at its first boot.", c.OS, what)
}
