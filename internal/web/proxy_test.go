package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddress checks whose address a request is taken to come from:
// through a trusted proxy, the rightmost untrusted address of
// X-Forwarded-For; from anyone else, the peer, whatever the header says.
func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	var seen string
	h := clientAddress(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	for _, c := range []struct{ name, peer, xff, want string }{
		{"through the proxy", "10.0.0.5:4000", "203.0.113.9", "203.0.113.9:4000"},
		{"a chain of trusted proxies", "10.0.0.5:4000", "203.0.113.9, 10.0.0.7", "203.0.113.9:4000"},
		{"a client writing its own header first", "10.0.0.5:4000", "1.2.3.4, 203.0.113.9", "203.0.113.9:4000"},
		{"IPv6 proxy and client", "[2001:db8::1]:4000", "2001:db8:ffff::1, 2a01:e0a::9", "[2a01:e0a::9]:4000"},
		{"a proxy that sent no header", "10.0.0.5:4000", "", "10.0.0.5:4000"},
		{"nothing but proxies", "10.0.0.5:4000", "10.0.0.6", "10.0.0.5:4000"},
		{"garbage in the header", "10.0.0.5:4000", "not-an-address", "10.0.0.5:4000"},
		{"an untrusted peer naming someone else", "198.51.100.7:5000", "203.0.113.9", "198.51.100.7:5000"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("%s: client %q, want %q", c.name, seen, c.want)
		}
		if r.RemoteAddr != c.peer {
			t.Errorf("%s: the caller's request was changed to %q", c.name, r.RemoteAddr)
		}
	}

	// Without trusted proxies the header is never read.
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.5:4000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	clientAddress(nil, next).ServeHTTP(httptest.NewRecorder(), r)
	if seen != "10.0.0.5:4000" {
		t.Errorf("without trusted proxies: client %q", seen)
	}
}
