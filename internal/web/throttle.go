package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/ratelimit"
)

// throttle counts every request to fn per client address under action
// (ratelimit.PerAddress: 10 free, then waits doubling from 1 s to 15 min)
// and answers 429 Too Many Requests with Retry-After during a wait, without
// running fn. Wrap the POST route of a form that anyone can send
// repeatedly: sign-up, asking for a password reset, resending a
// verification email.
func (s *Server) throttle(action string, fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.limiter.Attempt(r.Context(), addressKey(action, r)); err != nil {
			return err
		}
		return fn(w, r)
	}
}

// addressKey counts action per client address: r.RemoteAddr, the peer or,
// behind a trusted proxy, the client it names (clientAddress). An IPv6 client is counted per /64, the smallest
// network a provider hands out, so that one client cannot rotate through
// its own addresses.
func addressKey(action string, r *http.Request) ratelimit.Key {
	return ratelimit.Key{Name: action + ":ip:" + clientNetwork(r.RemoteAddr), Rule: ratelimit.PerAddress}
}

// accountKey counts action per account: ratelimit.PerAccount (5 free,
// then waits doubling from 1 s to 1 min), so that the owner is slowed but
// never locked out. memberID is the account's id; when no account matches
// what was typed (memberID 0), typed is counted instead, so that an unknown
// name is slowed exactly like a known one and the answers do not tell which
// accounts exist. Typed names are kept only as a hash (SHA-256 of the folded
// text, 128 bits in hex): whatever was typed, the key is short and storable,
// and no email address is stored in the clear.
func accountKey(action string, memberID int64, typed string) ratelimit.Key {
	name := action + ":member:" + strconv.FormatInt(memberID, 10)
	if memberID == 0 {
		sum := sha256.Sum256([]byte(chorus.FoldKey(typed)))
		name = action + ":name:" + hex.EncodeToString(sum[:16])
	}
	return ratelimit.Key{Name: name, Rule: ratelimit.PerAccount}
}

// codeKey counts second-factor codes per account (ratelimit.SecondFactor).
func codeKey(memberID int64) ratelimit.Key {
	return ratelimit.Key{Name: "code:member:" + strconv.FormatInt(memberID, 10), Rule: ratelimit.SecondFactor}
}

// clientNetwork is the address of remoteAddr ("host:port"): an IPv4
// address, or the /64 prefix of an IPv6 one.
func clientNetwork(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// tooMany reports whether err is a *ratelimit.TooManyError, and if so sets
// its Retry-After header (RFC 9110 §10.2.3) on w.
func tooMany(w http.ResponseWriter, err error) bool {
	var tm *ratelimit.TooManyError
	if !errors.As(err, &tm) {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(tm.Seconds()))
	return true
}
