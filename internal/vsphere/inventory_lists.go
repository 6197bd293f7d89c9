package vsphere

import (
	"cmp"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The placement-target listings (hosts, datastores, networks) each cost one
// container view and one property retrieval, whatever the inventory size.

// decodeObject converts retrieved properties to the object's mo type. A
// property vSphere could not read (a disconnected host's configuration, say)
// is left empty rather than failing the whole listing.
func decodeObject(oc types.ObjectContent) (any, error) {
	oc.MissingSet = nil
	return mo.ObjectContentToType(oc)
}

// byNameThenID orders listed objects like list_vms does.
func byNameThenID(aName, aID, bName, bID string) int {
	return cmp.Or(cmp.Compare(aName, bName), cmp.Compare(aID, bID))
}

func percent(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return round2(part / whole * 100)
}

func round2(v float64) float64 {
	r := figure(v)
	if r == nil {
		return 0
	}
	return *r
}
