package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/mcpserver"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/testenv"
)

const consentVM = "DC0_C0_RP0_VM0" // poweredOn in the simulator

// TestConsentAnswers: a client that declares elicitation is asked before a
// destructive tool runs (here over the in-memory transport, protocol
// 2026-07-28: the question comes back as an input request and the client
// retries with the answer). Only an accept with confirm true powers the VM
// off; every other answer leaves it on, checked in vSphere directly.
func TestConsentAnswers(t *testing.T) {
	tests := []struct {
		name    string
		answer  func() (*mcp.ElicitResult, error)
		changed bool
		outcome string
		words   string
	}{
		{"accept with confirm", approve, true, "ok", ""},
		{"decline", decline, false, "declined", "the user declined"},
		{"cancel", func() (*mcp.ElicitResult, error) { return &mcp.ElicitResult{Action: "cancel"}, nil }, false, "declined", "cancelled"},
		{"accept without confirm", func() (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": false}}, nil
		}, false, "declined", "did not tick confirm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &person{answer: tt.answer}
			e, auditPath := consentEnv(t, mcpserver.ConfirmAuto, p, nil)
			vm := mustVM(t, e, consentVM)
			res := e.Call(t, "power_off_vm", map[string]any{"name": consentVM})

			asked := p.asked()
			if len(asked) != 1 {
				t.Fatalf("%d questions asked, want 1", len(asked))
			}
			for _, fact := range []string{consentVM, vm.Self.Value, "/DC0/vm/" + consentVM, "on host ", "is poweredOn", "powered off"} {
				if !strings.Contains(asked[0], fact) {
					t.Errorf("question %q does not say %q", asked[0], fact)
				}
			}
			state := powerState(t, e, consentVM)
			if tt.changed {
				if res.IsError || state != "poweredOff" {
					t.Fatalf("approved power off: error=%v %s, VM %s", res.IsError, testenv.Text(res), state)
				}
			} else {
				if !res.IsError || !strings.Contains(testenv.Text(res), tt.words) || !strings.Contains(testenv.Text(res), "was not changed") {
					t.Errorf("answer %q, want a refusal saying %q", testenv.Text(res), tt.words)
				}
				if state != "poweredOn" {
					t.Errorf("VM is %s after %s: something changed", state, tt.name)
				}
			}
			lines := auditLines(t, auditPath)
			if len(lines) != 2 {
				t.Fatalf("%d audit lines, want the consent and the call: %v", len(lines), lines)
			}
			if lines[0]["event"] != "consent" || lines[0]["outcome"] != "asked" || lines[0]["question"] != asked[0] || field(lines[0], "target", "id") != vm.Self.Value {
				t.Errorf("consent line: %v", lines[0])
			}
			if lines[1]["event"] != "call" || lines[1]["outcome"] != tt.outcome || field(lines[1], "target", "id") != vm.Self.Value ||
				lines[1]["key"] != "stdio" || field(lines[1], "client", "name") != "testenv" || lines[1]["vcenter"] != "vc.test" {
				t.Errorf("call line: %v", lines[1])
			}
		})
	}
}

// TestConsentModes: without the elicitation capability, auto proceeds and
// always refuses saying why and how to fix it; never asks no one.
func TestConsentModes(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		person    *person
		changed   bool
		questions int
	}{
		{"auto without elicitation", mcpserver.ConfirmAuto, nil, true, 0},
		{"always without elicitation", mcpserver.ConfirmAlways, nil, false, 0},
		{"never with elicitation", mcpserver.ConfirmNever, &person{answer: decline}, true, 0},
		{"always with elicitation", mcpserver.ConfirmAlways, &person{answer: approve}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, auditPath := consentEnv(t, tt.mode, tt.person, nil)
			res := e.Call(t, "suspend_vm", map[string]any{"name": consentVM})
			if tt.person != nil && len(tt.person.asked()) != tt.questions {
				t.Errorf("%d questions, want %d", len(tt.person.asked()), tt.questions)
			}
			state := powerState(t, e, consentVM)
			if tt.changed != (state == "suspended") {
				t.Fatalf("VM is %s (tool said %s), want changed=%v", state, testenv.Text(res), tt.changed)
			}
			if !tt.changed {
				text := testenv.Text(res)
				for _, words := range []string{"elicitation", "confirm_destructive", "auto", "nothing was changed"} {
					if !strings.Contains(text, words) {
						t.Errorf("refusal %q does not say %q", text, words)
					}
				}
				lines := auditLines(t, auditPath)
				if len(lines) != 1 || lines[0]["outcome"] != "denied" {
					t.Errorf("audit: %v, want one denied line", lines)
				}
			}
		})
	}
}

// TestConsentIsBoundToOneCall: an approval cannot be replayed, moved to
// other arguments, or used from another connection. The client here
// handles the multi round-trip itself to be able to cheat.
func TestConsentIsBoundToOneCall(t *testing.T) {
	t.Parallel()
	e, _ := consentEnv(t, mcpserver.ConfirmAlways, nil, nil)
	// Two manual clients that declare elicitation but do not retry on their own.
	connect := func() *mcp.ClientSession {
		st, ct := mcp.NewInMemoryTransports()
		ss, err := e.Server.Connect(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ss.Close() })
		c := mcp.NewClient(&mcp.Implementation{Name: "cheater", Version: "1"}, &mcp.ClientOptions{
			ElicitationHandler: (&person{answer: approve}).handle, MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
		})
		cs, err := c.Connect(context.Background(), ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.Close() })
		return cs
	}
	a, b := connect(), connect()
	ctx := context.Background()
	ask := func(cs *mcp.ClientSession, name string) string {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "power_off_vm", Arguments: map[string]any{"name": name}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NeedsInput() || res.RequestState == "" || res.InputRequests["confirm"] == nil {
			t.Fatalf("first round: %+v, want a question", res)
		}
		return res.RequestState
	}
	answer := func(cs *mcp.ClientSession, name, state string) *mcp.CallToolResult {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{
			Name: "power_off_vm", Arguments: map[string]any{"name": name}, RequestState: state,
			InputResponses: mcp.InputResponseMap{"confirm": &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	other := "DC0_C0_RP0_VM1"
	setPower(t, e, other, "poweredOn")
	refused := func(what string, res *mcp.CallToolResult) {
		t.Helper()
		if !res.IsError || !strings.Contains(testenv.Text(res), "does not belong to this call") {
			t.Errorf("%s: %s, want refused", what, testenv.Text(res))
		}
		if powerState(t, e, consentVM) != "poweredOn" || powerState(t, e, other) != "poweredOn" {
			t.Fatalf("%s changed a VM: %s %s; answer %s", what, powerState(t, e, consentVM), powerState(t, e, other), testenv.Text(res))
		}
	}

	state := ask(a, consentVM)
	refused("approval used from another connection", answer(b, consentVM, state))
	refused("approval used again after a failed use", answer(a, consentVM, state))
	state = ask(a, consentVM)
	refused("approval moved to another VM", answer(a, other, state))
	refused("made-up approval", answer(a, consentVM, "0123456789abcdef0123456789abcdef"))

	state = ask(a, consentVM)
	if res := answer(a, consentVM, state); res.IsError || powerState(t, e, consentVM) != "poweredOff" {
		t.Fatalf("the genuine approval did not power the VM off: %s", testenv.Text(res))
	}
	setPower(t, e, consentVM, "poweredOn")
	refused("approval replayed", answer(a, consentVM, state))
}

// TestConsentExpires: an answer that comes back after the bound is refused.
func TestConsentExpires(t *testing.T) {
	t.Parallel()
	p := &person{answer: approve}
	e, _ := consentEnv(t, mcpserver.ConfirmAuto, p, func(o *mcpserver.Options) { o.ConsentTimeout = 1 }) // 1 ns: always late
	res := e.Call(t, "power_off_vm", map[string]any{"name": consentVM})
	if !res.IsError || !strings.Contains(testenv.Text(res), "expired") || powerState(t, e, consentVM) != "poweredOn" {
		t.Fatalf("late approval: %s, VM %s; want refused, VM on", testenv.Text(res), powerState(t, e, consentVM))
	}
}

// TestEveryDestructiveToolAsksConsent is the convention: every tool
// annotated destructive, now and later, goes through consent before it acts;
// no other tool asks. Arguments come from each tool's input schema.
func TestEveryDestructiveToolAsksConsent(t *testing.T) {
	t.Parallel()
	p := &person{answer: decline}
	e, _ := consentEnv(t, mcpserver.ConfirmAlways, p, nil)
	vm := mustVM(t, e, consentVM)
	checked := 0
	for _, tool := range listTools(t, e) {
		destructive := !tool.Annotations.ReadOnlyHint && (tool.Annotations.DestructiveHint == nil || *tool.Annotations.DestructiveHint)
		if !destructive {
			if tool.Annotations.ReadOnlyHint {
				before := len(p.asked())
				e.Call(t, tool.Name, argumentsFor(t, tool))
				if len(p.asked()) != before {
					t.Errorf("read-only %s asked for consent", tool.Name)
				}
			}
			continue
		}
		checked++
		before, asked := inventory(t, e), len(p.asked())
		res := e.Call(t, tool.Name, argumentsFor(t, tool))
		questions := p.asked()[asked:]
		if len(questions) != 1 || !strings.Contains(questions[0], vm.Self.Value) {
			t.Errorf("%s: questions %q, want one naming %s", tool.Name, questions, vm.Self.Value)
		} else if tool.Name == "delete_vm" && !(strings.Contains(questions[0], "deleted with its 1 disk, ") && strings.Contains(questions[0], " GB")) {
			t.Errorf("delete_vm question %q does not say what goes with the VM", questions[0])
		}
		if !res.IsError || !strings.Contains(testenv.Text(res), "declined") {
			t.Errorf("%s after a decline: %s", tool.Name, testenv.Text(res))
		}
		if after := inventory(t, e); !slices.Equal(before, after) {
			t.Errorf("%s changed the inventory after a decline", tool.Name)
		}
	}
	if checked < 4 {
		t.Errorf("only %d destructive tools checked", checked)
	}
}

// argumentsFor fills a tool's required arguments from its input schema: the
// test VM for "name", the first enum value, the minimum, or a placeholder.
func argumentsFor(t *testing.T, tool *mcp.Tool) map[string]any {
	t.Helper()
	var schema struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Type    any     `json:"type"`
			Enum    []any   `json:"enum"`
			Minimum float64 `json:"minimum"`
		} `json:"properties"`
	}
	decode(t, tool.InputSchema, &schema)
	args := map[string]any{}
	for _, name := range schema.Required {
		prop := schema.Properties[name]
		switch {
		case name == "name":
			args[name] = consentVM
		case len(prop.Enum) > 0:
			args[name] = prop.Enum[0]
		case prop.Type == "integer" || prop.Type == "number":
			args[name] = max(prop.Minimum, 1)
		case prop.Type == "boolean":
			args[name] = false
		default:
			args[name] = "consent-test"
		}
	}
	return args
}

// TestConsentActsOnTheVMShown: the approval is for the VM the person was
// shown. If, while they decide, that VM is renamed and another VM takes its
// name, the approved power off still acts on the VM shown (by its id), and
// the look-alike is left alone — checked in vSphere by managed object id.
func TestConsentActsOnTheVMShown(t *testing.T) {
	const lookalike = "DC0_H0_VM0" // poweredOn too
	var e *testenv.Env
	p := &person{answer: func() (*mcp.ElicitResult, error) {
		renameVM(t, e, consentVM, "renamed-while-asking")
		renameVM(t, e, lookalike, consentVM)
		return approve()
	}}
	e, _ = consentEnv(t, mcpserver.ConfirmAuto, p, nil)
	shown, other := mustVM(t, e, consentVM).Self, mustVM(t, e, lookalike).Self
	if powerOf(t, e, shown) != "poweredOn" || powerOf(t, e, other) != "poweredOn" {
		t.Fatalf("fixture: want %s and %s poweredOn", consentVM, lookalike)
	}

	res := e.Call(t, "power_off_vm", map[string]any{"name": consentVM})
	if res.IsError {
		t.Fatalf("approved power off failed: %s", testenv.Text(res))
	}
	if got := powerOf(t, e, shown); got != "poweredOff" {
		t.Errorf("the VM the person approved (%s) is %s, want poweredOff", shown.Value, got)
	}
	if got := powerOf(t, e, other); got != "poweredOn" {
		t.Errorf("the look-alike that took the name (%s) is %s: the approval was redirected", other.Value, got)
	}
}

func powerOf(t *testing.T, e *testenv.Env, ref types.ManagedObjectReference) string {
	t.Helper()
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(e.Vim).RetrieveOne(context.Background(), ref, []string{"runtime.powerState"}, &vm); err != nil {
		t.Fatal(err)
	}
	return string(vm.Runtime.PowerState)
}

// TestConsentTimeIsNotTaskTime: the time a person takes to answer the
// consent question does not eat the task's wait budget (task_wait_seconds):
// the budget starts with the task.
func TestConsentTimeIsNotTaskTime(t *testing.T) {
	const budget = 2 * time.Second
	p := &person{answer: func() (*mcp.ElicitResult, error) {
		time.Sleep(budget + 500*time.Millisecond) // longer than the whole budget
		return approve()
	}}
	e := testenv.New(t, testenv.Options{
		TaskWait: budget,
		// Inline elicitation, within the one call, as before 2026-07-28 (with
		// the multi-round-trip protocol the approved call is a new request).
		ProtocolVersion: "2025-06-18",
		ClientOptions:   &mcp.ClientOptions{ElicitationHandler: p.handle},
		Server:          func(o *mcpserver.Options) { o.ConfirmDestructive = mcpserver.ConfirmAuto },
	})
	slowTasks(t, e, map[string]int{"PowerOff": 500})
	res := e.Call(t, "power_off_vm", map[string]any{"name": consentVM})
	if res.IsError || strings.Contains(testenv.Text(res), `"state":"running"`) {
		t.Fatalf("power_off_vm after a slow approval: %s; want it done, the task took 0.5 s of a %s budget", testenv.Text(res), budget)
	}
	if s := powerState(t, e, consentVM); s != "poweredOff" {
		t.Errorf("VM is %s, want poweredOff", s)
	}
}
