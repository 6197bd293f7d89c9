package vsphere

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/redact"
)

// FaultError is a vSphere fault, or a failure to reach vCenter, said in words
// a model can act on: what was being done, what went wrong and what to do
// about it. The cause stays reachable with errors.As / fault.As through Unwrap.
type FaultError struct {
	What   string // what was being done to what
	Reason string
	err    error
}

// Error never carries a vCenter session id or cookie: a fault's text, or an
// object id in it (vCenter's per-session objects are named
// "session[...]..."), may hold one.
func (e *FaultError) Error() string {
	if e.What == "" {
		return redact.String(e.Reason)
	}
	return redact.String(e.What + ": " + e.Reason)
}
func (e *FaultError) Unwrap() error { return e.err }

// describeFault translates a vSphere fault, or a failure to reach vCenter
// (network, TLS, timeout: see transport_errors.go), into a *FaultError; other
// errors are wrapped as they are.
func describeFault(what string, err error) error {
	if err == nil {
		return nil
	}
	reason, ok := faultReason(err)
	if !ok {
		cause := transportCause(err)
		if cause == nil && errors.Is(err, context.DeadlineExceeded) {
			cause = context.DeadlineExceeded
		}
		if cause == nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		reason = transportReason(cause)
	}
	return &FaultError{What: what, Reason: reason, err: err}
}

// faultReason finds the most specific fault it knows in err (the fault itself
// or its cause) and says it. Order matters: subtypes before their bases.
func faultReason(err error) (string, bool) {
	var (
		noPerm     *types.NoPermission
		dup        *types.DuplicateName
		exists     *types.AlreadyExists
		fileExists *types.FileAlreadyExists
		noSpace    *types.NoDiskSpace
		locked     *types.FileLocked
		notFound   *types.FileNotFound
		fileFault  types.BaseFileFault
		mem        *types.InsufficientMemoryResourcesFault
		cpu        *types.InsufficientCpuResourcesFault
		resources  types.BaseInsufficientResourcesFault
		power      *types.InvalidPowerState
		tools      *types.ToolsUnavailable
		inProgress *types.TaskInProgress
		gone       *types.ManagedObjectNotFound
		badName    *types.InvalidName
		badConfig  *types.InvalidVmConfig
		badArg     *types.InvalidArgument
		badDS      *types.InvalidDatastore
		notSupp    *types.NotSupported
		state      types.BaseInvalidState
		generic    *types.GenericVmConfigFault
		vmConfig   types.BaseVmConfigFault
		hostComm   types.BaseHostCommunication
		canceled   *types.RequestCanceled
		timedOut   *types.Timedout
		notAuth    *types.NotAuthenticated
		system     *types.SystemError
	)
	switch {
	case as(err, &notAuth):
		return "the vCenter session is not authenticated (it expired and logging in again failed); check the server's vCenter credentials", true
	case as(err, &noPerm):
		return permissionReason(noPerm), true
	case as(err, &dup):
		return fmt.Sprintf("the name %q is already used by %s in the target folder; choose another name", dup.Name, dup.Object.Value), true
	case as(err, &fileExists):
		return fmt.Sprintf("file %s already exists on the datastore (left from an earlier VM?); choose another name or datastore, or remove the files", fileExists.File), true
	case as(err, &exists):
		return fmt.Sprintf("%q already exists; choose another name", exists.Name), true
	case as(err, &noSpace):
		return fmt.Sprintf("datastore %s has not enough free space; choose another datastore or a smaller disk", noSpace.Datastore), true
	case as(err, &locked):
		return fmt.Sprintf("file %s is locked (in use by a running VM or another host)", locked.File), true
	case as(err, &notFound):
		return fmt.Sprintf("file %s was not found on the datastore", notFound.File), true
	case as(err, &fileFault):
		return fmt.Sprintf("file operation on %s failed (%s)", fileFault.GetFileFault().File, faultName(fileFault)), true
	case as(err, &mem):
		return fmt.Sprintf("not enough memory: %d MB requested, %d MB available in the resource pool; lower memory, or choose another pool, host or cluster", mem.Requested>>20, mem.Unreserved>>20), true
	case as(err, &cpu):
		return fmt.Sprintf("not enough CPU: %d MHz requested, %d MHz available in the resource pool; lower cpu, or choose another pool, host or cluster", cpu.Requested, cpu.Unreserved), true
	case as(err, &resources):
		return fmt.Sprintf("not enough resources (%s); lower cpu or memory, or choose another pool, host or cluster", faultName(resources)), true
	case as(err, &power):
		return fmt.Sprintf("the VM is %s, and this needs it %s", power.ExistingState, orDefault(string(power.RequestedState), "in another power state")), true
	case as(err, &tools):
		return "VMware Tools are not running in the guest, and guest operations need them; use mode: hard instead", true
	case as(err, &inProgress):
		return fmt.Sprintf("another vSphere task (%s) is running on this object; wait for it to finish and retry", inProgress.Task.Value), true
	case as(err, &gone):
		return fmt.Sprintf("object %s no longer exists (deleted meanwhile?)", gone.Obj.Value), true
	case as(err, &badName):
		return fmt.Sprintf("vSphere does not accept the name %q", badName.Name), true
	case as(err, &badConfig):
		return fmt.Sprintf("vSphere rejected the VM configuration (property %s)", orDefault(badConfig.Property, "unknown")), true
	case as(err, &badArg):
		return fmt.Sprintf("vSphere rejected the request (invalid %s)", orDefault(badArg.InvalidProperty, "argument")), true
	case as(err, &badDS):
		return fmt.Sprintf("datastore %s cannot be used here", orDefault(badDS.Name, "(unnamed)")), true
	case as(err, &notSupp):
		return "this endpoint does not support the operation (a standalone ESXi host cannot clone, for example)", true
	case as(err, &state):
		return fmt.Sprintf("the object is not in a state that allows this (%s): a host in maintenance mode, a template, or another operation under way", faultName(state)), true
	case as(err, &generic):
		return fmt.Sprintf("vSphere rejected the VM configuration: %s", orDefault(generic.Reason, "no reason given")), true
	case as(err, &vmConfig):
		return fmt.Sprintf("vSphere rejected the VM configuration (%s)", faultName(vmConfig)), true
	case as(err, &hostComm):
		return fmt.Sprintf("the ESXi host cannot be reached (%s)", faultName(hostComm)), true
	case as(err, &canceled):
		return "the vSphere task was cancelled (by a user or by vCenter)", true
	case as(err, &timedOut):
		return "vSphere timed out", true
	case as(err, &system):
		return "vCenter reported a system error (" + orDefault(system.Reason, "no reason given") + "); try again, and if it persists ask a vSphere administrator to check vCenter", true
	}
	var f types.BaseMethodFault
	msg, ok := fault.As(err, &f)
	if !ok {
		return "", false
	}
	reason := "vSphere fault " + faultName(f)
	if msg != "" && !strings.HasPrefix(msg, "*types.") { // the simulator puts the Go type there
		reason += ": " + msg
	}
	for _, m := range f.GetMethodFault().FaultMessage {
		if m.Message != "" {
			reason += "; " + m.Message
		}
	}
	return reason, true
}

func as[T any](err error, target *T) bool {
	_, ok := fault.As(err, target)
	return ok
}

// permissionReason names the missing privileges, from the vSphere 8 list or the older single field.
func permissionReason(f *types.NoPermission) string {
	var privs []string
	for _, m := range f.MissingPrivileges {
		for _, p := range m.PrivilegeIds {
			privs = append(privs, fmt.Sprintf("%s on %s", p, m.Entity.Value))
		}
	}
	if len(privs) == 0 && f.PrivilegeId != "" {
		on := ""
		if f.Object != nil {
			on = " on " + f.Object.Value
		}
		privs = append(privs, f.PrivilegeId+on)
	}
	slices.Sort(privs)
	if len(privs) == 0 {
		return "the vCenter user lacks a privilege for this; ask a vSphere administrator to grant it"
	}
	return "the vCenter user lacks the privilege " + strings.Join(privs, ", ") + "; ask a vSphere administrator to grant it"
}

// faultName is a fault's vSphere type name, e.g. InsufficientHostMemoryCapacityFault.
func faultName(f any) string {
	t := reflect.TypeOf(f)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "unknown"
	}
	return t.Name()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
