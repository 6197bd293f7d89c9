package mcpserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/logging"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// faultRule injects f on every call of method, with faultstring msg, after skip calls.
func faultRule(method string, f types.BaseMethodFault, msg string, skip int) *vsim.FaultInjectionRule {
	return &vsim.FaultInjectionRule{
		MethodName: method, ObjectType: "*", ObjectName: "*", Probability: 1, SkipCount: skip,
		FaultType: vsim.FaultTypeCustom, Fault: f, Message: msg, Enabled: true,
	}
}

// readFailure is the text a client gets from a tool (its error) or a resource
// read (its JSON-RPC error message); it fails the test when the call succeeded.
func readFailure(t *testing.T, e *testenv.Env, tool string, args map[string]any) string {
	t.Helper()
	if uri, ok := args["uri"].(string); ok {
		_, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
		if err == nil {
			t.Fatalf("reading %s succeeded, want an error", uri)
		}
		return err.Error()
	}
	return testenv.CallErr(t, e, tool, args)
}

// TestReadFaultsInWords: read tools and the vmstats resource say a vSphere
// fault as write tools do (the missing privilege and the object, what was
// being read), never in SOAP words, whichever of their requests to vCenter
// fails (lists and lookups are answered from the inventory mirror and make
// none; a stats read makes a retrieval only for the counter catalogue, on the
// session's first read of a powered-on VM, until one succeeds).
func TestReadFaultsInWords(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	const on = "DC0_C0_RP0_VM0"
	vm := mustVM(t, e, on).Self
	denied := &types.NoPermission{Object: &vm, PrivilegeId: "System.Read"}
	const soapText = "Permission to perform this operation was denied."
	cases := []struct {
		name   string
		method string
		skip   int // calls of method that pass before the fault
		tool   string
		args   map[string]any
	}{
		// get_vm finds the VM and names its datastores and networks from the
		// inventory mirror: its one request is the retrieval of the details.
		{"get_vm, its retrieval", "RetrievePropertiesEx", 0, "get_vm", map[string]any{"name": on}},
		// Said in words at the tool-error boundary, not by the domain.
		{"list_snapshots, its retrieval", "RetrievePropertiesEx", 0, "list_snapshots", map[string]any{"name": on}},
		{"get_vm_stats, catalogue retrieval", "RetrievePropertiesEx", 0, "get_vm_stats", map[string]any{"name": on}},
		{"vmstats resource, catalogue retrieval", "RetrievePropertiesEx", 0, "", map[string]any{"uri": "vmstats://" + on}},
		{"get_vm_stats, performance query", "QueryPerf", 0, "get_vm_stats", map[string]any{"name": on, "window_minutes": 10}},
		{"vmstats resource, performance query", "QueryPerf", 0, "", map[string]any{"uri": "vmstats://" + on}},
	}
	svc := e.Sim.Model().Service
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc.AddFaultRule(faultRule(c.method, denied, soapText, c.skip))
			msg := readFailure(t, e, c.tool, c.args)
			svc.ClearFaultRules()
			t.Logf("%s", msg)
			for _, want := range []string{"lacks the privilege System.Read on " + vm.Value, "administrator"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			for _, leak := range []string{"ServerFaultCode", soapText, "soap", "*types."} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
		})
	}
}

// TestNoSessionMaterialLeaves: a fault text carrying a vCenter session id or
// session cookie reaches neither the client (tool errors, resource errors, on
// read and write paths) nor the server's log.
func TestNoSessionMaterialLeaves(t *testing.T) {
	var logs syncBuffer
	e := testenv.New(t, testenv.Options{
		Logger: slog.New(logging.Scrub(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	})
	const (
		on      = "DC0_C0_RP0_VM0"
		off     = "DC0_C0_RP0_VM1"
		session = "session[d781f97a-1c2b-4e5d-8f90-a1b2c3d4e5f6]16d86454-aaaa-bbbb-cccc-ddddeeeeffff"
		cookie  = `vmware_soap_session="b1e2c3d4e5f6a7b8c9d0e1f2"`
	)
	gone := &types.ManagedObjectNotFound{Obj: types.ManagedObjectReference{Type: "PropertyCollector", Value: session}}
	goneText := "The object 'vim.PropertyCollector:" + session + "' has already been deleted or has not been completely created"
	system := &types.SystemError{Reason: "request with " + cookie + " refused"}
	systemText := "A general system error occurred: session " + session + " with " + cookie
	cases := []struct {
		name   string
		method string
		f      types.BaseMethodFault
		text   string
		tool   string
		args   map[string]any
	}{
		{"read tool, object gone", "RetrievePropertiesEx", gone, goneText, "get_vm", map[string]any{"name": on}},
		{"read tool, system error", "RetrievePropertiesEx", system, systemText, "list_snapshots", map[string]any{"name": on}},
		{"stats, performance query", "QueryPerf", system, systemText, "get_vm_stats", map[string]any{"name": on}},
		// A stats read's only request at steady state is its QueryPerf.
		{"resource, object gone", "QueryPerf", gone, goneText, "", map[string]any{"uri": "vmstats://" + on}},
		{"resource, system error", "QueryPerf", system, systemText, "", map[string]any{"uri": "vmstats://" + on}},
		{"write tool, task fault", "PowerOnVM_Task", system, systemText, "power_on_vm", map[string]any{"name": off}},
	}
	svc := e.Sim.Model().Service
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc.AddFaultRule(faultRule(c.method, c.f, c.text, 0))
			msg := readFailure(t, e, c.tool, c.args)
			svc.ClearFaultRules()
			t.Logf("%s", msg)
			for _, secret := range []string{"d781f97a", "16d86454", "b1e2c3d4e5f6a7b8c9d0e1f2"} {
				if strings.Contains(msg, secret) {
					t.Errorf("the client was told %s: %q", secret, msg)
				}
			}
			if !strings.Contains(msg, "[redacted]") {
				t.Errorf("error %q does not show where session material was removed", msg)
			}
			if strings.Contains(msg, "ServerFaultCode") {
				t.Errorf("error %q is in SOAP words", msg)
			}
		})
	}
	out := logs.String()
	if !strings.Contains(out, "session[redacted]") {
		t.Errorf("the log shows no scrubbed session id; did the faults reach it?\n%s", out)
	}
	for _, secret := range []string{"d781f97a", "16d86454", "b1e2c3d4e5f6a7b8c9d0e1f2"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %s:\n%s", secret, out)
		}
	}
}
