package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// The three ways a fault reaches us: a task that failed, a method that
// failed, and either of those wrapped by our own code.
func asTaskError(f types.BaseMethodFault) error {
	return task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: f, LocalizedMessage: fmt.Sprintf("%T", f)}}
}

func asMethodError(f types.BaseMethodFault) error { return soap.WrapVimFault(f) }

func TestDescribeFault(t *testing.T) {
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}
	cases := []struct {
		name  string
		fault types.BaseMethodFault
		want  string
	}{
		{"privilege list", &types.NoPermission{MissingPrivileges: []types.NoPermissionEntityPrivileges{
			{Entity: vm, PrivilegeIds: []string{"VirtualMachine.Interact.PowerOff", "VirtualMachine.Interact.PowerOn"}}}},
			"lacks the privilege VirtualMachine.Interact.PowerOff on vm-7, VirtualMachine.Interact.PowerOn on vm-7"},
		{"privilege field", &types.NoPermission{Object: &vm, PrivilegeId: "System.Read"}, "lacks the privilege System.Read on vm-7"},
		{"privilege unknown", &types.NoPermission{}, "lacks a privilege"},
		{"not authenticated is not a privilege", &types.NotAuthenticated{}, "not authenticated"},
		{"duplicate", &types.DuplicateName{Name: "web", Object: vm}, `"web" is already used by vm-7`},
		{"already exists", &types.AlreadyExists{Name: "web"}, `"web" already exists`},
		{"file exists", &types.FileAlreadyExists{FileFault: types.FileFault{File: "[ds] web/web.vmx"}}, "file [ds] web/web.vmx already exists"},
		{"no disk space", &types.NoDiskSpace{Datastore: "ds1"}, "datastore ds1 has not enough free space"},
		{"other file fault", &types.CannotCreateFile{FileFault: types.FileFault{File: "x.vmdk"}}, "file operation on x.vmdk failed (CannotCreateFile)"},
		{"cpu", &types.InsufficientCpuResourcesFault{Requested: 4000, Unreserved: 1000}, "not enough CPU: 4000 MHz requested, 1000 MHz available"},
		{"resources", &types.InsufficientStorageSpace{}, "not enough resources (InsufficientStorageSpace)"},
		{"power", &types.InvalidPowerState{ExistingState: "poweredOn"}, "the VM is poweredOn, and this needs it in another power state"},
		{"tools", &types.ToolsUnavailable{}, "use mode: hard"},
		{"gone", &types.ManagedObjectNotFound{Obj: vm}, "object vm-7 no longer exists"},
		{"invalid state", &types.InvalidState{}, "not in a state that allows this (InvalidState)"},
		{"generic config", &types.GenericVmConfigFault{Reason: "bad vmx"}, "rejected the VM configuration: bad vmx"},
		{"config property", &types.InvalidVmConfig{Property: "configSpec.files"}, "(property configSpec.files)"},
		{"not supported", &types.NotSupported{}, "does not support the operation"},
		{"host down", &types.HostNotConnected{}, "host cannot be reached (HostNotConnected)"},
		{"cancelled", &types.RequestCanceled{}, "was cancelled"},
		{"unknown", &types.OutOfBounds{}, "vSphere fault OutOfBounds"},
		// A fault's cause counts when the fault itself says little.
		{"cause", &types.SystemError{RuntimeFault: types.RuntimeFault{MethodFault: types.MethodFault{
			FaultCause: &types.LocalizedMethodFault{Fault: &types.ToolsUnavailable{}}}}}, "VMware Tools are not running"},
	}
	for _, c := range cases {
		for how, err := range map[string]error{
			"task":    asTaskError(c.fault),
			"method":  asMethodError(c.fault),
			"wrapped": fmt.Errorf("outer: %w", asTaskError(c.fault)),
		} {
			t.Run(c.name+"/"+how, func(t *testing.T) {
				got := describeFault("doing X to Y", err)
				msg := got.Error()
				if !strings.HasPrefix(msg, "doing X to Y: ") || !strings.Contains(msg, c.want) {
					t.Errorf("got %q, want it to say %q", msg, c.want)
				}
				if strings.Contains(msg, "*types.") || strings.Contains(msg, "ServerFaultCode") {
					t.Errorf("%q leaks the Go type or SOAP", msg)
				}
				// The fault stays reachable for callers that inspect it.
				var f types.BaseMethodFault
				if _, ok := fault.As(got, &f); !ok {
					t.Errorf("fault not reachable through %T", got)
				}
			})
		}
	}
}

// Transport failures and timeouts are said in words too: see TestClientErrorHidesTransportDetail.
func TestDescribeFaultPassesOtherErrors(t *testing.T) {
	other := errors.New("unexpected result")
	err := describeFault("reading VM x", other)
	if !errors.Is(err, other) || err.Error() != "reading VM x: unexpected result" {
		t.Errorf("got %v", err)
	}
	if describeFault("x", nil) != nil {
		t.Error("nil error became an error")
	}
}

func TestCancelledErrorSaysWhatHappened(t *testing.T) {
	failed := &types.TaskInfo{State: types.TaskInfoStateError}
	cases := []struct {
		e    CancelledError
		want []string
	}{
		{CancelledError{What: "cloning a to b", Task: "task-1", Accepted: true, info: failed},
			[]string{"cloning a to b was cancelled by the client", "vSphere task task-1 was cancelled", "nothing was changed"}},
		{CancelledError{What: "cloning a to b", Task: "task-1", Accepted: true, Completed: true, Undone: "VM b (vm-9) ... was deleted again"},
			[]string{"the task completed anyway", "VM b (vm-9) ... was deleted again"}},
		{CancelledError{What: "cloning a to b", Task: "task-1", Accepted: true, Completed: true, UndoErr: errors.New("VM b is left behind")},
			[]string{"VM b is left behind"}},
		{CancelledError{What: "powering on a", Task: "task-2", Refused: "vSphere cannot cancel this kind of task"},
			[]string{"did not cancel task task-2 (vSphere cannot cancel this kind of task)", "it may still complete"}},
	}
	for _, c := range cases {
		msg := c.e.Error()
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		if !errors.Is(&c.e, context.Canceled) {
			t.Errorf("%q is not a context.Canceled", msg)
		}
	}
}
