package web

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/realclientip/realclientip-go"
)

// clientAddress makes r.RemoteAddr the client's address when the request
// comes through one of the trusted reverse proxies: the rightmost address
// of X-Forwarded-For that is not itself a trusted proxy (each proxy
// appends the peer it saw, so addresses left of the first untrusted one
// could have been written by the client and are not believed). A request
// from any other peer keeps its peer address and the header is ignored,
// so that no client can choose the address rate limits, the security log
// and statistics see. Without trusted proxies next is returned as it is.
func clientAddress(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	ranges := make([]net.IPNet, 0, len(trusted))
	for _, p := range trusted {
		ranges = append(ranges, net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())})
	}
	strategy, err := realclientip.NewRightmostTrustedRangeStrategy("X-Forwarded-For", ranges)
	if err != nil { // only for a header name other than X-Forwarded-For or Forwarded
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !inAny(peer.Unmap(), trusted) {
			next.ServeHTTP(w, r)
			return
		}
		if ip := strategy.ClientIP(r.Header, r.RemoteAddr); ip != "" {
			r = r.WithContext(r.Context()) // a shallow copy, so the caller's request is left as it was
			r.RemoteAddr = net.JoinHostPort(ip, port)
		}
		next.ServeHTTP(w, r)
	})
}

// inAny reports whether addr is in one of prefixes.
func inAny(addr netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
