package mcpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/simulator"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// guestOf reads what the guest reports, and the pending customization, directly.
func guestOf(t *testing.T, e *testenv.Env, name string) mo.VirtualMachine {
	t.Helper()
	var vm mo.VirtualMachine
	err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), mustVM(t, e, name).Self,
		[]string{"guest.hostName", "guest.ipAddress", "guest.net", "config.tools"}, &vm)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// linuxSource makes a powered-off Linux VM with one network adapter.
func linuxSource(t *testing.T, e *testenv.Env) string {
	t.Helper()
	const src = "DC0_C0_RP0_VM1"
	reconfigure(t, e, src, types.VirtualMachineConfigSpec{GuestId: string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest)})
	if n := len(nicsOf(t, e, src)); n != 1 {
		t.Fatalf("%s has %d adapters, want 1", src, n)
	}
	return src
}

// TestCloneCustomization clones Linux and Windows guests with their own
// identity and network, and with a stored specification. vCenter applies a
// customization at the clone's first boot through VMware Tools; the simulator
// applies it at power-on, setting the guest's host name and address, which
// is what is checked here, read directly from vSphere.
func TestCloneCustomization(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	src := linuxSource(t, e)

	c := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{
		"template_name": src, "new_name": "web-01", "power_on": true,
		"hostname": "web01", "domain": "corp.example.com", "ip": "10.0.0.5", "netmask": "255.255.255.0", "gateway": "10.0.0.1", "dns": []string{"10.0.0.53"},
	})
	if c.Customization == nil || c.Customization.OS != "linux" || c.Customization.IP != "10.0.0.5" || c.Customization.DHCP {
		t.Errorf("answer: %+v", c.Customization)
	}
	g := guestOf(t, e, "web-01")
	if g.Guest == nil || g.Guest.HostName != "web01" || g.Guest.IpAddress != "10.0.0.5" {
		t.Errorf("Linux clone's guest: %+v", g.Guest)
	}
	if len(g.Guest.Net) != 1 || g.Guest.Net[0].DnsConfig == nil || g.Guest.Net[0].DnsConfig.DomainName != "corp.example.com" {
		t.Errorf("Linux clone's guest network: %+v", g.Guest.Net)
	}

	// Left off, the customization waits for the first boot.
	testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": src, "new_name": "web-02", "dhcp": true})
	if g := guestOf(t, e, "web-02"); g.Config == nil || g.Config.Tools == nil || g.Config.Tools.PendingCustomization == "" {
		t.Errorf("web-02 has no pending customization: %+v", g.Config)
	}

	// A stored specification.
	s := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": src, "new_name": "web-03", "customization_spec": "vcsim-linux", "power_on": true})
	if s.Customization == nil || s.Customization.Spec != "vcsim-linux" {
		t.Errorf("stored spec answer: %+v", s.Customization)
	}
	if g := guestOf(t, e, "web-03"); g.Guest == nil || !strings.HasPrefix(g.Guest.HostName, "web-03") {
		t.Errorf("web-03's guest host name %+v (the spec names the host after the VM)", g.Guest)
	}

	// A Windows guest, made by create_vm (with an adapter), cloned with DHCP.
	testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "win-src", "cpu": 2, "memory": 4096, "guest_id": "windows2019srv_64Guest"})
	w := testenv.CallOK[vsphere.ClonedVM](t, e, "clone_vm", map[string]any{"template_name": "win-src", "new_name": "win-01", "hostname": "WIN01", "dhcp": true, "power_on": true})
	if w.Customization == nil || w.Customization.OS != "windows" || !w.Customization.DHCP {
		t.Errorf("Windows answer: %+v", w.Customization)
	}
	if g := guestOf(t, e, "win-01"); g.Guest == nil || g.Guest.HostName != "WIN01" {
		t.Errorf("Windows clone's guest: %+v", g.Guest)
	}
}

// TestCloneCustomizationBadInput: refusals in words, and no clone made.
func TestCloneCustomizationBadInput(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{})
	src := linuxSource(t, e)
	testenv.CallOK[vsphere.NewVM](t, e, "create_vm", map[string]any{"name": "win-src", "cpu": 1, "memory": 1024, "guest_id": "windows2019srv_64Guest"})
	clone := func(kv ...any) map[string]any {
		args := map[string]any{"template_name": src, "new_name": "custom"}
		for i := 0; i < len(kv); i += 2 {
			args[kv[i].(string)] = kv[i+1]
		}
		return args
	}
	cases := []badInput{
		{"guest OS that cannot be customized", clone("template_name", "DC0_C0_RP0_VM0", "hostname", "h"), []string{"vSphere cannot customize", "only Linux and Windows"}},
		{"invalid hostname", clone("hostname", "web_01"), []string{`hostname "web_01" is not a valid host name`}},
		{"hostname with a dot", clone("hostname", "web.corp"), []string{"no dots"}},
		{"invalid domain", clone("domain", "corp..example"), []string{`domain "corp..example"`}},
		{"ip without netmask", clone("ip", "10.0.0.5"), []string{"needs a netmask"}},
		{"ip that is not IPv4", clone("ip", "10.0.0.300", "netmask", "255.255.255.0"), []string{`ip "10.0.0.300" is not an IPv4 address`}},
		{"netmask with holes", clone("ip", "10.0.0.5", "netmask", "255.0.255.0"), []string{"not a valid netmask"}},
		{"gateway outside the network", clone("ip", "10.0.0.5", "netmask", "255.255.255.0", "gateway", "10.0.1.1"), []string{"gateway 10.0.1.1 is not in the network 10.0.0.0/24"}},
		{"ip is the broadcast address", clone("ip", "10.0.0.255", "netmask", "255.255.255.0"), []string{"broadcast"}},
		{"ip and dhcp", clone("ip", "10.0.0.5", "netmask", "255.255.255.0", "dhcp", true), []string{"exclude each other"}},
		{"netmask without ip", clone("netmask", "255.255.255.0"), []string{"go with a static ip"}},
		{"bad dns server", clone("dhcp", true, "dns", []string{"dns.example.com"}), []string{`dns server "dns.example.com"`}},
		{"spec and fields together", clone("customization_spec", "vcsim-linux", "hostname", "h"), []string{"give it alone"}},
		{"unknown spec", clone("customization_spec", "golden"), []string{`customization_spec "golden" not found`, "vcsim-linux"}},
		{"Windows spec for a Linux guest", clone("customization_spec", "vcsim-windows-static"), []string{"is for Windows guests", "choose a linux specification"}},
		{"Windows computer name too long", clone("template_name", "win-src", "hostname", "a-very-long-name-1"), []string{"at most 15 characters"}},
		{"static ip for a source without adapter", clone("template_name", simulator.TemplateName, "ip", "10.0.0.5", "netmask", "255.255.255.0"), []string{"has no network adapter"}},
	}
	runBadInputs(t, e, "clone_vm", cases)
}

// TestCloneCustomizationOnESXi: a standalone host cannot clone, customized or not.
func TestCloneCustomizationOnESXi(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Options{ESX: true})
	before := fullState(t, e)
	msg := testenv.CallErr(t, e, "clone_vm", map[string]any{"template_name": offVM(t, e), "new_name": "c", "hostname": "c1", "dhcp": true})
	if !strings.Contains(msg, "cloning needs vCenter") {
		t.Errorf("ESXi: %q", msg)
	}
	if after := fullState(t, e); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Error("the refused clone changed the inventory")
	}
}
