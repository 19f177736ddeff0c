package web

import "testing"

func TestValidHostname(t *testing.T) {
	for host, want := range map[string]bool{
		"blog.example.net": true, "localhost": true, "192.0.2.7": true, "2001:db8::1": true, "a-b.c0": true,
		"": false, "<b>x<": false, "=1+1.evil": false, `"onmouseover=alert(1)`: false, "-bad.org": false, "bad-.org": false,
		"a..b": false, "exa mple.org": false, "ex_ample.org": false,
	} {
		if got := validHostname(host); got != want {
			t.Errorf("validHostname(%q) = %v, want %v", host, got, want)
		}
	}
}
