package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// Customization is the guest customization of a clone: its own identity and
// network settings, applied by vCenter through VMware Tools at first boot.
// Either the fields, or the name of a specification stored in vCenter.
type Customization struct {
	Hostname string   // default: the clone's name
	Domain   string   // DNS domain
	IP       string   // static IPv4 address of the first adapter; DHCP otherwise
	Netmask  string   // with IP
	Gateway  string   // with IP, optional
	DNS      []string // DNS servers
	DHCP     bool     // explicitly DHCP on every adapter
	SpecName string   // a customization specification stored in vCenter
}

// CustomizationSummary says how a clone was customized.
type CustomizationSummary struct {
	OS       string   `json:"os" jsonschema:"linux or windows"`
	Spec     string   `json:"spec,omitempty" jsonschema:"the stored customization specification used"`
	Hostname string   `json:"hostname,omitempty" jsonschema:"host (computer) name; empty means the clone's name"`
	Domain   string   `json:"domain,omitempty"`
	IP       string   `json:"ip,omitempty" jsonschema:"static address of the first adapter, when not DHCP"`
	Netmask  string   `json:"netmask,omitempty"`
	Gateway  string   `json:"gateway,omitempty"`
	DNS      []string `json:"dns" jsonschema:"DNS servers"`
	DHCP     bool     `json:"dhcp" jsonschema:"the first adapter takes its address from DHCP"`
	Adapters int      `json:"adapters" jsonschema:"network adapters customized (others than the first use DHCP)"`
}

// IsZero reports whether no customization was asked for.
func (c *Customization) IsZero() bool {
	return c == nil || (c.Hostname == "" && c.Domain == "" && c.IP == "" && c.Netmask == "" && c.Gateway == "" &&
		len(c.DNS) == 0 && !c.DHCP && c.SpecName == "")
}

var hostnameLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validate checks what needs no inventory, and parses the addresses.
func (c *Customization) validate() error {
	if c.SpecName != "" {
		if c.Hostname != "" || c.Domain != "" || c.IP != "" || c.Netmask != "" || c.Gateway != "" || len(c.DNS) > 0 || c.DHCP {
			return fmt.Errorf("customization_spec names a stored specification, which says everything itself: give it alone, or hostname, domain, ip... without it")
		}
		return nil
	}
	var errs []error
	if c.Hostname != "" && !hostnameLabel.MatchString(c.Hostname) {
		errs = append(errs, fmt.Errorf("hostname %q is not a valid host name: 1 to 63 letters, digits and hyphens, not beginning or ending with a hyphen (no dots: put the rest in domain)", c.Hostname))
	}
	if c.Domain != "" {
		for _, l := range strings.Split(c.Domain, ".") {
			if !hostnameLabel.MatchString(l) {
				errs = append(errs, fmt.Errorf("domain %q is not a valid DNS domain (labels of letters, digits and hyphens, joined by dots)", c.Domain))
				break
			}
		}
	}
	switch {
	case c.IP != "" && c.DHCP:
		errs = append(errs, fmt.Errorf("ip and dhcp: true exclude each other: give a static address or DHCP"))
	case c.IP == "" && (c.Netmask != "" || c.Gateway != ""):
		errs = append(errs, fmt.Errorf("netmask and gateway go with a static ip; give ip too, or neither"))
	case c.IP != "":
		errs = append(errs, c.checkStatic())
	}
	for _, d := range c.DNS {
		if a, err := netip.ParseAddr(d); err != nil || !a.Is4() {
			errs = append(errs, fmt.Errorf("dns server %q is not an IPv4 address", d))
		}
	}
	return errors.Join(errs...)
}

func (c *Customization) checkStatic() error {
	ip, err := netip.ParseAddr(c.IP)
	if err != nil || !ip.Is4() {
		return fmt.Errorf("ip %q is not an IPv4 address", c.IP)
	}
	if c.Netmask == "" {
		return fmt.Errorf("ip %s needs a netmask (e.g. 255.255.255.0)", c.IP)
	}
	bits, err := maskBits(c.Netmask)
	if err != nil {
		return err
	}
	prefix := netip.PrefixFrom(ip, bits).Masked()
	if bits < 31 && (ip == prefix.Addr() || ip == lastAddr(prefix)) {
		return fmt.Errorf("ip %s is the network or broadcast address of %s; choose a host address", c.IP, prefix)
	}
	if c.Gateway != "" {
		gw, err := netip.ParseAddr(c.Gateway)
		switch {
		case err != nil || !gw.Is4():
			return fmt.Errorf("gateway %q is not an IPv4 address", c.Gateway)
		case !prefix.Contains(gw):
			return fmt.Errorf("gateway %s is not in the network %s of ip %s with netmask %s", c.Gateway, prefix, c.IP, c.Netmask)
		case gw == ip:
			return fmt.Errorf("gateway %s is the VM's own address", c.Gateway)
		}
	}
	return nil
}

// maskBits reads a dotted netmask (255.255.255.0) into its prefix length.
func maskBits(mask string) (int, error) {
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return 0, fmt.Errorf("netmask %q is not a dotted IPv4 netmask (e.g. 255.255.255.0)", mask)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := 0
	for v&(1<<31) != 0 {
		ones++
		v <<= 1
	}
	if v != 0 || ones == 0 {
		return 0, fmt.Errorf("netmask %q is not a valid netmask: its one bits must come first (e.g. 255.255.255.0)", mask)
	}
	return ones, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// guestFamily is linux or windows when vCenter can customize the guest, else "".
func guestFamily(guestID string) string {
	id := strings.ToLower(guestID)
	switch {
	case strings.HasPrefix(id, "win"):
		return "windows"
	case strings.Contains(id, "linux"), strings.HasPrefix(id, "rhel"), strings.HasPrefix(id, "centos"),
		strings.HasPrefix(id, "ubuntu"), strings.HasPrefix(id, "debian"), strings.HasPrefix(id, "sles"),
		strings.HasPrefix(id, "opensuse"), strings.HasPrefix(id, "fedora"), strings.HasPrefix(id, "oracle"),
		strings.HasPrefix(id, "photon"), strings.HasPrefix(id, "rocky"), strings.HasPrefix(id, "alma"),
		strings.HasPrefix(id, "asianux"), strings.HasPrefix(id, "coreos"), strings.HasPrefix(id, "amazon"),
		strings.HasPrefix(id, "mandr"), strings.HasPrefix(id, "redhat"), strings.HasPrefix(id, "turbolinux"),
		strings.HasPrefix(id, "suse"), strings.HasPrefix(id, "miracle"), strings.HasPrefix(id, "kylin"):
		return "linux"
	}
	return ""
}

// customizationFor builds the clone's customization spec from s, checked
// against the source: its guest OS must be one vCenter customizes (Linux or
// Windows), and a stored spec must exist and fit that OS. It returns nil, nil
// when nothing was asked.
func (c *Client) customizationFor(ctx context.Context, s *Customization, src *VMSummary, cloneName string) (*types.CustomizationSpec, *CustomizationSummary, error) {
	if s.IsZero() {
		return nil, nil, nil
	}
	if err := s.validate(); err != nil {
		return nil, nil, err
	}
	vm, err := c.retrieveVM(ctx, src.ref, []string{"config.guestId", "config.guestFullName", "config.hardware.device"})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the guest OS of %s: %w", refOf(src), err)
	}
	if vm.Config == nil {
		return nil, nil, fmt.Errorf("%s has no readable configuration; it cannot be customized", refOf(src))
	}
	family := guestFamily(vm.Config.GuestId)
	if family == "" {
		return nil, nil, fmt.Errorf("%s runs guest OS %q (%s), which vSphere cannot customize: only Linux and Windows guests can be; clone without hostname, ip, dhcp or customization_spec, and configure the clone inside the guest",
			refOf(src), orDefault(vm.Config.GuestFullName, vm.Config.GuestId), vm.Config.GuestId)
	}
	nics := len(object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualEthernetCard)(nil)))
	if s.SpecName != "" {
		return c.storedCustomization(ctx, s.SpecName, family, nics, src)
	}
	if s.IP != "" && nics == 0 {
		return nil, nil, fmt.Errorf("%s has no network adapter, so the clone's ip cannot be set; add one to the source first (reconfigure_vm add_nic_network)", refOf(src))
	}
	if family == "windows" {
		if name := s.Hostname; len(name) > 15 || (name == "" && len(cloneName) > 15) {
			return nil, nil, fmt.Errorf("a Windows computer name has at most 15 characters; give hostname (the clone's name %q is used otherwise)", cloneName)
		}
	}
	sum := &CustomizationSummary{OS: family, Hostname: s.Hostname, Domain: s.Domain, IP: s.IP, Netmask: s.Netmask, Gateway: s.Gateway,
		DNS: append([]string{}, s.DNS...), DHCP: s.IP == "", Adapters: nics}
	var name types.BaseCustomizationName = &types.CustomizationVirtualMachineName{}
	if s.Hostname != "" {
		name = &types.CustomizationFixedName{Name: s.Hostname}
	}
	spec := &types.CustomizationSpec{GlobalIPSettings: types.CustomizationGlobalIPSettings{DnsServerList: s.DNS}}
	if s.Domain != "" {
		spec.GlobalIPSettings.DnsSuffixList = []string{s.Domain}
	}
	if family == "linux" {
		spec.Identity = &types.CustomizationLinuxPrep{HostName: name, Domain: orDefault(s.Domain, "localdomain")}
	} else {
		spec.Identity = &types.CustomizationSysprep{
			GuiUnattended:  types.CustomizationGuiUnattended{TimeZone: 85, AutoLogonCount: 0},
			UserData:       types.CustomizationUserData{FullName: "Administrator", OrgName: "Organization", ComputerName: name},
			Identification: types.CustomizationIdentification{JoinWorkgroup: "WORKGROUP"},
		}
	}
	for i := 0; i < nics; i++ {
		adapter := types.CustomizationIPSettings{Ip: &types.CustomizationDhcpIpGenerator{}, DnsDomain: s.Domain}
		if i == 0 && s.IP != "" {
			adapter.Ip = &types.CustomizationFixedIp{IpAddress: s.IP}
			adapter.SubnetMask = s.Netmask
			if s.Gateway != "" {
				adapter.Gateway = []string{s.Gateway}
			}
			if family == "windows" {
				adapter.DnsServerList = s.DNS
			}
		}
		spec.NicSettingMap = append(spec.NicSettingMap, types.CustomizationAdapterMapping{Adapter: adapter})
	}
	return spec, sum, nil
}

// storedCustomization reads a specification stored in vCenter and checks it fits the source.
func (c *Client) storedCustomization(ctx context.Context, name, family string, nics int, src *VMSummary) (*types.CustomizationSpec, *CustomizationSummary, error) {
	m := object.NewCustomizationSpecManager(c.vim)
	infos, err := m.Info(ctx)
	if err != nil {
		return nil, nil, describeFault("listing the customization specifications", err)
	}
	i := slices.IndexFunc(infos, func(x types.CustomizationSpecInfo) bool { return x.Name == name })
	if i < 0 {
		names := make([]string, len(infos))
		for j, x := range infos {
			names[j] = x.Name
		}
		return nil, nil, fmt.Errorf("customization_spec %q not found in vCenter; stored specifications: %s", name, list(names))
	}
	if t := strings.ToLower(infos[i].Type); t != "" && t != family {
		return nil, nil, fmt.Errorf("customization_spec %q is for %s guests, and %s runs a %s guest; choose a %s specification", name, infos[i].Type, refOf(src), family, family)
	}
	item, err := m.GetCustomizationSpec(ctx, name)
	if err != nil {
		return nil, nil, describeFault(fmt.Sprintf("reading customization specification %q", name), err)
	}
	if n := len(item.Spec.NicSettingMap); n != nics {
		return nil, nil, fmt.Errorf("customization_spec %q sets %d network adapter(s), and %s has %d; vCenter refuses such a clone: choose a specification for %d adapter(s)", name, n, refOf(src), nics, nics)
	}
	sum := &CustomizationSummary{OS: family, Spec: name, DNS: append([]string{}, item.Spec.GlobalIPSettings.DnsServerList...), Adapters: nics, DHCP: true}
	if nics > 0 {
		a := item.Spec.NicSettingMap[0].Adapter
		if ip, ok := a.Ip.(*types.CustomizationFixedIp); ok {
			sum.IP, sum.Netmask, sum.DHCP = ip.IpAddress, a.SubnetMask, false
			if len(a.Gateway) > 0 {
				sum.Gateway = a.Gateway[0]
			}
		}
	}
	return &item.Spec, sum, nil
}
