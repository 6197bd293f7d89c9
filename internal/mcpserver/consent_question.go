package mcpserver

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/audit"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/vsphere"
)

// consentQuestion names the exact target and the effect in words: "VM web-01
// (vm-82, /DC0/vm/prod/web-01) on host esx-01 is poweredOn; it will be powered
// off and deleted with its 2 disks, 60 GB. This cannot be undone. Approve?"
func consentQuestion(t *mcp.Tool, raw json.RawMessage, f *vsphere.ConsentFacts) string {
	var args map[string]any
	_ = json.Unmarshal(raw, &args)
	return fmt.Sprintf("%s; %s Approve?", f.Subject(), consentEffect(t, args, f))
}

// consentEffect says what the tool will do to the VM. Tools without their own
// words are described by their title and arguments.
func consentEffect(t *mcp.Tool, args map[string]any, f *vsphere.ConsentFacts) string {
	mode, _ := args["mode"].(string)
	on := f.PowerState == "poweredOn" || f.PowerState == "suspended"
	switch t.Name {
	case "delete_vm":
		if on && args["force"] == true {
			return fmt.Sprintf("it will be powered off and deleted with its %s. This cannot be undone.", f.Holdings())
		}
		if on {
			return fmt.Sprintf("it will be deleted with its %s if it is off by then (without force a running VM is refused). This cannot be undone.", f.Holdings())
		}
		return fmt.Sprintf("it will be deleted with its %s. This cannot be undone.", f.Holdings())
	case "power_off_vm":
		if mode == vsphere.ModeGuest {
			return "its guest OS will be asked to shut down, and the VM will be off."
		}
		return "it will be powered off at once, like pulling the plug: unsaved data in the guest is lost."
	case "restart_vm":
		if mode == vsphere.ModeGuest {
			return "its guest OS will be asked to reboot."
		}
		return "it will be reset at once, like the reset button: unsaved data in the guest is lost."
	case "suspend_vm":
		return "it will be suspended: its memory is saved to the datastore and it stops running."
	}
	return fmt.Sprintf("%q (%s) will run on it%s.", t.Title, t.Name, otherArguments(args))
}

// otherArguments lists the arguments besides name, secrets redacted.
func otherArguments(args map[string]any) string {
	args = audit.Redact(args)
	var parts []string
	for k, v := range args {
		if k == "name" {
			continue
		}
		b, _ := json.Marshal(v)
		parts = append(parts, k+"="+string(b))
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return " with " + strings.Join(parts, ", ")
}
