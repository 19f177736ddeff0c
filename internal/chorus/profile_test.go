package chorus

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckLink(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      string // part of the error text, "" for none
	}{
		{"https://example.org/band", "https://example.org/band", ""},
		{"  HTTP://Example.ORG/Path?q=1#x ", "http://example.org/Path?q=1#x", ""},
		{"https://bandcamp.com/%E2%99%AA", "https://bandcamp.com/%E2%99%AA", ""},
		{"javascript:alert(1)", "", "https://"},
		{"JavaScript:alert(document.cookie)", "", "https://"},
		{"data:text/html,<script>alert(1)</script>", "", "https://"},
		{"vbscript:msgbox", "", "https://"},
		{"ftp://example.org/", "", "https://"},
		{"example.org", "", "must start with"},
		{"//example.org/x", "", "must start with"},
		{"https://", "", "site name"},
		{"https:///path", "", "site name"},
		{"https://user:pass@example.org/", "", "user name"},
		{"https://example.org/a b", "", "spaces"},
		{"https://example.org/\x00", "", "invisible"},
		{"https://example.org/\u202egnp.exe", "", "invisible"},
		{"https://example.org/\xff", "", "invisible"},
		{"https://example.org/" + strings.Repeat("a", 500), "", "500"},
		{"https://exa mple.org", "", "spaces"},
		{"https://[::1", "", "not a web address"},
	} {
		got, err := CheckLink(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CheckLink(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CheckLink(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestProfilePublicHidesPrivateParts(t *testing.T) {
	p := Profile{RealName: "Ana Lima", Location: "Porto", Bio: "Sings.", Links: []string{"https://example.org"}, PictureKey: "members/x/picture",
		RealNamePublic: false, LocationPublic: true, BioPublic: false, LinksPublic: true, PicturePublic: false}
	want := Profile{Location: "Porto", Links: []string{"https://example.org"},
		RealNamePublic: true, LocationPublic: true, BioPublic: true, LinksPublic: true, PicturePublic: true}
	if diff := cmp.Diff(want, p.Public()); diff != "" {
		t.Errorf("Public() (-want +got):\n%s", diff)
	}
	if (Profile{RealNamePublic: true}).Empty() != true || p.Empty() {
		t.Error("Empty() is wrong")
	}
}
