package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"
)

// retrieveView fetches the given properties of every object of the spec'd types
// below root, in one property-collector retrieval through a container view:
// CreateContainerView, RetrievePropertiesEx (plus continuations for very large
// results), DestroyView — whatever the inventory size.
func (c *Client) retrieveView(ctx context.Context, root types.ManagedObjectReference, specs []types.PropertySpec) ([]types.ObjectContent, error) {
	kinds := make([]string, len(specs))
	for i, s := range specs {
		kinds[i] = s.Type
	}
	v, err := view.NewManager(c.vim).CreateContainerView(ctx, root, kinds, true)
	if err != nil {
		return nil, fmt.Errorf("creating a container view of %v: %w", kinds, err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()

	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{
			Obj:       v.Reference(),
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
		}},
		PropSet: specs,
	}}}
	res, err := property.DefaultCollector(c.vim).RetrieveProperties(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieving %v properties: %w", kinds, err)
	}
	content := res.Returnval
	return content, nil
}

// retrieveRefs fetches properties of the given objects (one type per call) in one retrieval.
func (c *Client) retrieveRefs(ctx context.Context, refs []types.ManagedObjectReference, props []string, dst any) error {
	if len(refs) == 0 {
		return nil
	}
	if err := property.DefaultCollector(c.vim).Retrieve(ctx, refs, props, dst); err != nil {
		return fmt.Errorf("retrieving properties of %d %s objects: %w", len(refs), refs[0].Type, err)
	}
	return nil
}

// propsOf indexes one object's retrieved properties by path.
func propsOf(oc types.ObjectContent) map[string]any {
	m := make(map[string]any, len(oc.PropSet))
	for _, p := range oc.PropSet {
		m[p.Name] = p.Val
	}
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func ref(m map[string]any, k string) (types.ManagedObjectReference, bool) {
	r, ok := m[k].(types.ManagedObjectReference)
	return r, ok
}
