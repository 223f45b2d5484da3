package wx

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// cookieJar is an http.CookieJar that remembers each cookie's Domain, Path and expiry, so a
// saved session restores domain cookies as domain cookies. The standard library's jar hides
// them, which is exactly how openwechat's hot login lost the cookies for file. and webpush.
type cookieJar struct {
	mu      sync.Mutex
	cookies map[string]Cookie // key: domain;path;name
	now     func() time.Time
}

func newCookieJar() *cookieJar {
	return &cookieJar{cookies: map[string]Cookie{}, now: time.Now}
}

func cookieKey(c Cookie) string { return c.Domain + ";" + c.Path + ";" + c.Name }

// SetCookies stores cookies set by u's host. A cookie without Domain is host-only, which we
// record as the bare host (no leading dot).
func (j *cookieJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	host := strings.ToLower(u.Hostname())
	for _, hc := range cookies {
		c := Cookie{Name: hc.Name, Value: hc.Value, Path: hc.Path, Secure: hc.Secure, HTTPOnly: hc.HttpOnly}
		if c.Path == "" || c.Path[0] != '/' {
			c.Path = "/"
		}
		if hc.Domain != "" {
			d := strings.ToLower(hc.Domain)
			if !strings.HasPrefix(d, ".") {
				d = "." + d
			}
			// A host may only set cookies for itself or a parent domain.
			if !(host == d[1:] || strings.HasSuffix(host, d)) {
				continue
			}
			c.Domain = d
		} else {
			c.Domain = host
		}
		switch {
		case hc.MaxAge < 0:
			c.Expires = j.now().Add(-time.Second)
		case hc.MaxAge > 0:
			c.Expires = j.now().Add(time.Duration(hc.MaxAge) * time.Second)
		case !hc.Expires.IsZero():
			c.Expires = hc.Expires
		}
		if !c.Expires.IsZero() && !c.Expires.After(j.now()) {
			delete(j.cookies, cookieKey(c))
			continue
		}
		j.cookies[cookieKey(c)] = c
	}
}

// Cookies returns the cookies to send to u.
func (j *cookieJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	host := strings.ToLower(u.Hostname())
	path := u.Path
	if path == "" {
		path = "/"
	}
	var out []*http.Cookie
	for k, c := range j.cookies {
		if !c.Expires.IsZero() && !c.Expires.After(j.now()) {
			delete(j.cookies, k)
			continue
		}
		if !domainMatch(host, c.Domain) || !strings.HasPrefix(path, c.Path) {
			continue
		}
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func domainMatch(host, domain string) bool {
	if strings.HasPrefix(domain, ".") {
		return host == domain[1:] || strings.HasSuffix(host, domain)
	}
	return host == domain
}

// value returns the named cookie as host would receive it ("" if none).
func (j *cookieJar) value(host, name string) string {
	for _, c := range j.Cookies(&url.URL{Scheme: "https", Host: host, Path: "/"}) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// export returns every live cookie with its domain, for SessionStore.
func (j *cookieJar) export() []Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Cookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

// restore replaces the jar's content with saved cookies.
func (j *cookieJar) restore(cookies []Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = make(map[string]Cookie, len(cookies))
	for _, c := range cookies {
		if c.Domain == "" || c.Name == "" {
			continue
		}
		j.cookies[cookieKey(c)] = c
	}
}
