package vsphere

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
)

// sessionJar holds the vCenter session cookie and can forget it, so that a
// re-login starts a fresh session instead of presenting the old cookie (vCenter
// refuses Login on a session it still considers logged in).
type sessionJar struct {
	mu  sync.Mutex
	jar *cookiejar.Jar
}

func newSessionJar() *sessionJar {
	j, _ := cookiejar.New(nil) // cookiejar.New never fails without options
	return &sessionJar{jar: j}
}

func (s *sessionJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jar.SetCookies(u, cookies)
}

func (s *sessionJar) Cookies(u *url.URL) []*http.Cookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jar.Cookies(u)
}

// reset forgets every cookie.
func (s *sessionJar) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jar, _ = cookiejar.New(nil)
}
