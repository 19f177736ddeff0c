package web

import (
	"strings"
	"testing"
)

func TestNetworkPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.77:51234", "203.0.113.0/24"},
		{"127.0.0.1:8080", "127.0.0.0/24"},
		{"[2001:db8:abcd:12::1]:443", "2001:db8:abcd::/48"},
		{"[::ffff:198.51.100.9]:80", "198.51.100.0/24"},
		{"[fe80::1%eth0]:80", "fe80::/48"},
		{"198.51.100.200", "198.51.100.0/24"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"},
		{"", ""},
		{"not an address", ""},
		{"@:80", ""},
	} {
		if got := networkPrefix(tc.in); got != tc.want {
			t.Errorf("networkPrefix(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDescribeDevice(t *testing.T) {
	for _, tc := range []struct{ ua, browser, os, device string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128", "Linux", deviceDesktop},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome 126", "Windows", deviceDesktop},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17", "iOS 17", deviceMobile},
		{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17", "iOS 17", deviceTablet},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome 126", "Android 14", deviceMobile},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot 2", "", deviceBot},
		{"", "", "", ""},
	} {
		b, o, d := describeDevice(tc.ua)
		if b != tc.browser || o != tc.os || d != tc.device {
			t.Errorf("describeDevice(%q) = %q, %q, %q; want %q, %q, %q", tc.ua, b, o, d, tc.browser, tc.os, tc.device)
		}
	}
	// Hostile headers come out short, printable and valid UTF-8.
	for _, ua := range []string{"\x00\x01\xff\xfe<script>alert(1)</script>\u202e", strings.Repeat("Ä", 100000), "Firefox/\r\nX: y"} {
		b, o, d := describeDevice(ua)
		for _, s := range []string{b, o, d} {
			if len([]rune(s)) > 40 || strings.ContainsAny(s, "\x00\x01\r\n\u202e\ufffd") {
				t.Errorf("describeDevice(%.40q) gave %q", ua, s)
			}
		}
	}
}
