package web

import (
	"net/netip"
	"strings"

	"github.com/mileusna/useragent"

	"chorus/internal/chorus"
)

// networkPrefix returns the network a request came from, truncated so that
// it locates a network rather than a device: the /24 of an IPv4 address,
// the /48 of an IPv6 one ("192.0.2.0/24", "2001:db8:1::/48"), as in IP
// anonymisation practice for analytics. remoteAddr is http.Request's
// RemoteAddr ("host:port") or a bare address; "" when it is neither.
//
// It reads the connection's address only: behind a reverse proxy that is
// the proxy's, since forwarded headers can be forged by any client.
func networkPrefix(remoteAddr string) string {
	var addr netip.Addr
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		addr = ap.Addr()
	} else if a, err := netip.ParseAddr(remoteAddr); err == nil {
		addr = a
	} else {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// maxUserAgent bounds how much of a User-Agent header is parsed, in bytes;
// real ones are far shorter.
const maxUserAgent = 512

// Device types, as analytics tools name them. "" is an unknown device.
const (
	deviceDesktop = "desktop"
	deviceMobile  = "mobile"
	deviceTablet  = "tablet"
	deviceBot     = "bot"
)

// describeDevice parses a User-Agent header (RFC 9110 §10.1.5) into what a
// person recognises their device by: the browser with its major version
// ("Firefox 128"), the operating system ("Linux", "Android 14", "iOS 17")
// and the device type (deviceDesktop, ...). Parts it cannot tell are "".
// The header is sent by the client and may say anything: the results are
// cleaned of control characters and kept short, and are shown as text.
func describeDevice(ua string) (browser, os, device string) {
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	u := useragent.Parse(ua)
	browser = u.Name
	if v := majorVersion(u.Version); v != "" && browser != "" {
		browser += " " + v
	}
	os = u.OS
	if v := majorVersion(u.OSVersion); v != "" && (os == useragent.Android || os == useragent.IOS) {
		os += " " + v
	}
	switch {
	case u.Bot:
		device = deviceBot
	case u.Tablet:
		device = deviceTablet
	case u.Mobile:
		device = deviceMobile
	case u.Desktop:
		device = deviceDesktop
	}
	return chorus.CleanText(browser, 40, false), chorus.CleanText(os, 40, false), device
}

// majorVersion returns the leading number of a dotted version ("128" of
// "128.0.1"), or "" when v does not start with a digit.
func majorVersion(v string) string {
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(v)
	}
	if end == 0 || end > 6 {
		return ""
	}
	return v[:end]
}
