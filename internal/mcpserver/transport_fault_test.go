package mcpserver_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	vsim "github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

// TestUnreachableVCenterInWords: when vCenter stops answering (here the
// simulator is shut down under a running server), tools and resources say so
// in words a model can act on, without the hosts, addresses, URLs and Go
// network errors the failure carries; the server logs that detail at WARN.
func TestUnreachableVCenterInWords(t *testing.T) {
	logs := make(logRecords, 1000)
	e := testenv.New(t, testenv.Options{Logger: testLogger(logs)})
	vcHost := e.Sim.URL.Host
	e.Sim.Close()

	leaks := []string{vcHost, "127.0.0.1", "http", "/sdk", "dial", "Post", "POST", "tcp", "connect:"}
	check := func(t *testing.T, text string) {
		t.Helper()
		t.Logf("client sees: %s", text)
		for _, leak := range leaks {
			if strings.Contains(text, leak) {
				t.Errorf("%q reveals %q", text, leak)
			}
		}
		if !strings.Contains(text, "vCenter") || !strings.Contains(text, "try again") {
			t.Errorf("%q does not say that vCenter failed and what to do", text)
		}
	}

	// Lists answer from the inventory mirror's last state, saying how old it
	// is — once the mirror has noticed that its update stream broke (its
	// long poll fails as the simulator goes; a bound, not a timing assertion).
	for deadline := time.Now().Add(10 * time.Second); e.VS.Mirror().State().Live && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, tool := range []string{"list_vms", "list_hosts"} {
		out := testenv.CallOK[map[string]any](t, e, tool, map[string]any{})
		if note, _ := out["inventory_note"].(string); !strings.Contains(note, "interrupted") {
			t.Errorf("%s answered from a mirror cut off from vCenter without saying so: %v", tool, out)
		}
	}
	// So do the stats of a VM that is not powered on: all of it is in the mirror.
	off := testenv.CallOK[map[string]any](t, e, "get_vm_stats", map[string]any{"name": "DC0_C0_RP0_VM1"})
	if note, _ := off["inventory_note"].(string); !strings.Contains(note, "interrupted") {
		t.Errorf("get_vm_stats answered from a mirror cut off from vCenter without saying so: %v", off)
	}
	cases := []struct {
		tool string
		args map[string]any
	}{
		{"get_vm", map[string]any{"name": "DC0_C0_RP0_VM0"}},
		{"power_on_vm", map[string]any{"name": "DC0_C0_RP0_VM1"}},
		{"create_vm", map[string]any{"name": "unreachable", "cpu": 1, "memory": 128}},
		{"get_vm_stats", map[string]any{"name": "DC0_C0_RP0_VM0"}},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			check(t, testenv.CallErr(t, e, c.tool, c.args))
		})
	}
	t.Run("vmstats resource", func(t *testing.T) {
		_, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "vmstats://DC0_C0_RP0_VM0"})
		if err == nil {
			t.Fatal("reading a resource from an unreachable vCenter succeeded")
		}
		check(t, err.Error())
	})

	// The detail is the server's: logged at WARN, with the address, once per
	// call — also where the domain already said the failure in words.
	logged := 0
	for len(logs) > 0 {
		r := <-logs
		if r.Level == slog.LevelWarn && strings.Contains(attr(r, "detail"), vcHost) {
			logged++
		}
	}
	if want := len(cases) + 1; logged != want {
		t.Errorf("%d WARN records carry the failure's detail, want %d (one per call)", logged, want)
	}
}

// TestResourceUnexplainedFaultInWords: a resource read that fails with a
// vSphere fault the server has no special words for (here a SystemError
// without a reason, on the performance query: the inventory is read from the
// mirror) reaches the client in the words tools use, never in SOAP's; the raw
// fault is in the server's WARN log.
// (Before issue 7 this answered a generic message: read paths now share the
// write paths' fault translation.)
func TestResourceUnexplainedFaultInWords(t *testing.T) {
	logs := make(logRecords, 1000)
	e := testenv.New(t, testenv.Options{Logger: testLogger(logs)})
	svc := e.Sim.Model().Service
	svc.AddFaultRule(&vsim.FaultInjectionRule{
		MethodName: "QueryPerf", ObjectType: "*", ObjectName: "*",
		Probability: 1, FaultType: vsim.FaultTypeCustom, Fault: &types.SystemError{}, Enabled: true,
	})
	defer svc.ClearFaultRules()

	_, err := e.Client.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "vmstats://DC0_C0_RP0_VM0"})
	if err == nil {
		t.Fatal("the resource read succeeded despite the fault")
	}
	msg := err.Error()
	t.Logf("client sees: %s", msg)
	if !strings.Contains(msg, "reading vmstats://DC0_C0_RP0_VM0") || !strings.Contains(msg, "vCenter reported a system error") || !strings.Contains(msg, "try again") {
		t.Errorf("%q does not say the fault in words", msg)
	}
	for _, leak := range []string{"ServerFaultCode", "injected", "SystemError"} {
		if strings.Contains(msg, leak) {
			t.Errorf("%q reveals %q", msg, leak)
		}
	}
	found := false
	for len(logs) > 0 {
		r := <-logs
		// vSphere's own text, under "fault" when the domain said it in words.
		raw := attr(r, "error") + " " + attr(r, "fault")
		found = found || r.Level == slog.LevelWarn && strings.Contains(raw, "ServerFaultCode: Fault injected by simulator")
	}
	if !found {
		t.Error("the server did not log the raw fault at WARN")
	}
}
