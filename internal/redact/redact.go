// Package redact removes vCenter session material from text: session ids as
// vCenter prints them in object ids and fault texts
// ("session[d781f97a-...]16d86454-..."), and session cookies and tokens
// ("vmware_soap_session=...", "vmware-api-session-id: ..."). A session id is a
// credential: whoever holds it acts as the server's vCenter user until it
// expires. The vSphere fault translation and the process logger both use it,
// so that no client answer and no log line carries one.
package redact

import "regexp"

// Redacted replaces what was removed.
const Redacted = "[redacted]"

var (
	// vCenter's per-session object ids: session[<session uuid>]<object uuid>.
	// The session part is hexadecimal with dashes, so a VM named "my session[1]x" is left alone.
	sessionObject = regexp.MustCompile(`\bsession\[[0-9A-Fa-f-]{8,}\][0-9A-Za-z._:-]*`)
	// Cookies and headers that carry a session: name=value or name: value,
	// the value quoted or up to a separator.
	sessionCookie = regexp.MustCompile(`(?i)\b(vmware_soap_session|vmware-api-session-id|vmware_api_session_id|vmware_cgi_ticket|vmware-cis-session-id|jsessionid|sessionkey|session_key)("?\s*[:=]\s*)(\[redacted\]|\\?"(?:[^"\\]|\\.)*?\\?"|'[^']*'|[^\s;,"'\\)\]}>]+)`)
	// A whole Cookie or Set-Cookie header line.
	cookieHeader = regexp.MustCompile(`(?i)\b((?:set-)?cookie:\s*)[^\r\n]+`)
)

// String returns s with every vCenter session id and session cookie replaced
// by Redacted. It is idempotent: scrubbing scrubbed text changes nothing.
func String(s string) string {
	if s == "" {
		return s
	}
	s = cookieHeader.ReplaceAllString(s, "${1}"+Redacted)
	s = sessionCookie.ReplaceAllString(s, "${1}${2}"+Redacted)
	return sessionObject.ReplaceAllString(s, "session"+Redacted)
}
