package mcpserver

import (
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

type powerOffInput struct {
	Name           string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	Mode           string `json:"mode,omitempty" jsonschema:"hard: power off at once, like pulling the plug (unsaved data in the guest is lost); guest: ask the guest OS to shut down cleanly through VMware Tools, which must be running"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty" jsonschema:"guest mode: how long to wait for the VM to be off; if it is still on then, it is left running and the answer says so"`
}

type restartInput struct {
	Name string `json:"name" jsonschema:"the VM: its name, inventory path (/DC0/vm/web-01), managed object id (vm-42) or BIOS/instance UUID"`
	Mode string `json:"mode,omitempty" jsonschema:"hard: reset the virtual hardware at once (unsaved data in the guest is lost); guest: ask the guest OS to reboot cleanly through VMware Tools, which must be running"`
}

func (h *handlers) powerOnVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "power_on_vm",
		Title: "Power on a virtual machine",
		Description: "Power on a VM, or resume it when suspended. Idempotent: a VM that is already on is reported as such (changed: false), not as an error. " +
			"Templates cannot be powered on. Sends progress notifications when asked.",
		Annotations: write(true),
	}, h.powerOnVM, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) powerOffVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "power_off_vm",
		Title: "Power off a virtual machine",
		Description: "Power off a VM. mode hard (default) cuts power at once; mode guest asks the guest OS to shut down through VMware Tools and waits up to timeout_seconds for the VM to be off " +
			"(if it is not, the VM is left running and the answer says so). Idempotent: a VM already off is reported as such (changed: false). " +
			"Prefer guest for a running server; confirm with the user before cutting power to a production VM.",
		Annotations: destructive(true),
	}, h.powerOffVM, func(s *shaper) {
		s.length("name", 1, 1024)
		s.enum("mode", vsphere.ModeHard, vsphere.ModeHard, vsphere.ModeGuest)
		s.bounds("timeout_seconds", 1, 3600, int(vsphere.DefaultGuestShutdownTimeout/time.Second))
	})
}

func (h *handlers) restartVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "restart_vm",
		Title: "Restart a virtual machine",
		Description: "Restart a running VM: mode hard (default) resets it at once like the reset button; mode guest asks the guest OS to reboot cleanly through VMware Tools " +
			"(which must be running; the reboot then proceeds inside the guest). A VM that is off or suspended is refused: use power_on_vm.",
		Annotations: destructive(false),
	}, h.restartVM, func(s *shaper) {
		s.length("name", 1, 1024)
		s.enum("mode", vsphere.ModeHard, vsphere.ModeHard, vsphere.ModeGuest)
	})
}

func (h *handlers) suspendVMTool() (toolDef, error) {
	return defineTool(&mcp.Tool{
		Name:  "suspend_vm",
		Title: "Suspend a virtual machine",
		Description: "Suspend a running VM: its memory is saved to the datastore and it stops running until power_on_vm resumes it. " +
			"Idempotent: a VM already suspended is reported as such (changed: false); a powered-off VM is refused.",
		Annotations: destructive(true),
	}, h.suspendVM, func(s *shaper) { s.length("name", 1, 1024) })
}

func (h *handlers) powerOnVM(ctx context.Context, req *mcp.CallToolRequest, in vmRefInput) (*mcp.CallToolResult, *vsphere.PowerResult, error) {
	return powerAnswer(h.vs.PowerOn(ctx, in.Name, progressFor(ctx, req)))
}

func (h *handlers) powerOffVM(ctx context.Context, req *mcp.CallToolRequest, in powerOffInput) (*mcp.CallToolResult, *vsphere.PowerResult, error) {
	timeout := time.Duration(in.TimeoutSeconds) * time.Second
	return powerAnswer(h.vs.PowerOff(ctx, in.Name, in.Mode, timeout, progressFor(ctx, req)))
}

func (h *handlers) restartVM(ctx context.Context, req *mcp.CallToolRequest, in restartInput) (*mcp.CallToolResult, *vsphere.PowerResult, error) {
	return powerAnswer(h.vs.Restart(ctx, in.Name, in.Mode, progressFor(ctx, req)))
}

func (h *handlers) suspendVM(ctx context.Context, req *mcp.CallToolRequest, in vmRefInput) (*mcp.CallToolResult, *vsphere.PowerResult, error) {
	return powerAnswer(h.vs.Suspend(ctx, in.Name, progressFor(ctx, req)))
}

// powerAnswer phrases a power result; "already in that state" is news, not an error.
func powerAnswer(r *vsphere.PowerResult, err error) (*mcp.CallToolResult, *vsphere.PowerResult, error) {
	if err != nil {
		return nil, nil, err
	}
	vm := fmt.Sprintf("VM %s (%s)", r.VM.Name, r.VM.ID)
	var msg string
	switch {
	case !r.Changed:
		msg = fmt.Sprintf("%s was already %s; nothing was done.", vm, r.PowerState)
	case r.Operation == "power_on" && r.PreviousState == "suspended":
		msg = fmt.Sprintf("Resumed %s from suspension; it is poweredOn.", vm)
	case r.Operation == "power_on":
		msg = fmt.Sprintf("Powered on %s; it is poweredOn.", vm)
	case r.Operation == "power_off":
		msg = fmt.Sprintf("Powered off %s (hard); it is poweredOff.", vm)
	case r.Operation == "guest_shutdown":
		msg = fmt.Sprintf("The guest OS of %s shut down cleanly; it is poweredOff.", vm)
	case r.Operation == "reset":
		msg = fmt.Sprintf("Reset %s (hard restart); it is poweredOn.", vm)
	case r.Operation == "guest_reboot":
		msg = fmt.Sprintf("Asked the guest OS of %s to reboot; the reboot proceeds inside the guest.", vm)
	case r.Operation == "suspend":
		msg = fmt.Sprintf("Suspended %s; power_on_vm resumes it.", vm)
	default:
		msg = fmt.Sprintf("%s: %s done; it is %s.", vm, r.Operation, r.PowerState)
	}
	return answer(msg, r), r, nil
}
