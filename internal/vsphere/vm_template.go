package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
)

// TemplateResult is the outcome of convert_to_template or convert_to_vm.
type TemplateResult struct {
	VM           VMRef  `json:"vm"`
	Operation    string `json:"operation" jsonschema:"convert_to_template or convert_to_vm"`
	Changed      bool   `json:"changed" jsonschema:"false when the VM already was a template (or a VM)"`
	Template     bool   `json:"template" jsonschema:"the template flag afterwards, read from vSphere"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"inventory path of the pool of the VM made from a template"`
	Host         string `json:"host,omitempty"`
}

// ConvertToTemplate marks a powered-off VM as a template (vCenter only). It
// is a single vSphere call, not a task.
func (c *Client) ConvertToTemplate(ctx context.Context, reference string) (*TemplateResult, error) {
	if !c.IsVCenter() {
		return nil, fmt.Errorf("templates need vCenter: this endpoint is a standalone ESXi host, which has no templates")
	}
	v, err := c.FindVM(ctx, reference)
	if err != nil {
		return nil, err
	}
	out := &TemplateResult{VM: refOf(v), Operation: "convert_to_template", Template: v.Template, Host: v.Host}
	if v.Template {
		return out, nil
	}
	if v.PowerState != poweredOff {
		return nil, fmt.Errorf("%s is %s, and only a powered-off VM becomes a template; power it off first (power_off_vm)", refOf(v), v.PowerState)
	}
	if err := object.NewVirtualMachine(c.vim, v.ref).MarkAsTemplate(ctx); err != nil {
		return nil, describeFault(fmt.Sprintf("converting %s to a template", refOf(v)), err)
	}
	return c.templateAnswer(ctx, v, out)
}

// ConvertToVMSpec says where the VM made from a template runs: a pool (by
// name or path) or a cluster's root pool, and optionally a host.
type ConvertToVMSpec struct {
	Template     string
	ResourcePool string
	Cluster      string
	Host         string
}

// ConvertToVM turns a template back into a VM, in a resource pool: the one
// named, the named cluster's or host's root pool, else the root pool of the
// template's own cluster. Without a host, the template's own host is kept when it belongs to
// that pool's cluster (a cluster without DRS needs one).
func (c *Client) ConvertToVM(ctx context.Context, s ConvertToVMSpec) (*TemplateResult, error) {
	if !c.IsVCenter() {
		return nil, fmt.Errorf("templates need vCenter: this endpoint is a standalone ESXi host, which has no templates")
	}
	v, err := c.FindVM(ctx, s.Template)
	if err != nil {
		return nil, err
	}
	out := &TemplateResult{VM: refOf(v), Operation: "convert_to_vm", Template: v.Template, Host: v.Host}
	if !v.Template {
		if s.ResourcePool != "" || s.Cluster != "" || s.Host != "" {
			return nil, fmt.Errorf("%s already is a VM, not a template; to move it use migrate_vm", refOf(v))
		}
		return out, nil
	}
	pi, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	vm, err := c.retrieveVM(ctx, v.ref, []string{"runtime.host"})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", refOf(v), err)
	}
	// resolveTarget checks that host, cluster and pool fit together. Without
	// them the template's own cluster (its host's) is the fallback.
	var def targetDefaults
	if h := vm.Runtime.Host; h != nil {
		if cr := pi.computeOf(pi.hosts[*h].parent); cr != nil {
			def.pool = cr.pool
		}
	}
	t, err := pi.resolveTarget(PlacementArgs{Cluster: s.Cluster, ResourcePool: s.ResourcePool, Host: s.Host}, def, c.Defaults)
	if err != nil {
		return nil, err
	}
	host := t.host
	if host == nil && vm.Runtime.Host != nil {
		if h, ok := pi.hosts[*vm.Runtime.Host]; ok && h.parent == t.compute.ref {
			ref := *vm.Runtime.Host
			host = &ref
		}
	}
	if host != nil {
		out.Host = pi.hosts[*host].name
	}
	err = object.NewVirtualMachine(c.vim, v.ref).MarkAsVirtualMachine(ctx, *object.NewResourcePool(c.vim, t.pool), hostObject(c, host))
	if err != nil {
		return nil, describeFault(fmt.Sprintf("converting template %s to a VM", refOf(v)), err)
	}
	out.ResourcePool = pi.path(t.pool)
	return c.templateAnswer(ctx, v, out)
}

// templateAnswer reads the template flag back from vSphere.
func (c *Client) templateAnswer(ctx context.Context, v *VMSummary, out *TemplateResult) (*TemplateResult, error) {
	vm, err := c.retrieveVM(context.WithoutCancel(ctx), v.ref, []string{"config.template"})
	if err != nil {
		return nil, fmt.Errorf("reading %s after the conversion: %w", refOf(v), err)
	}
	out.Changed = true
	out.Template = vm.Config != nil && vm.Config.Template
	return out, nil
}
