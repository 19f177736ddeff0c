package auth

import (
	"strings"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{" ana@example.org ", "ana@example.org", true},
		{"", "", false},
		{"ana", "ana", false},
		{"ana@localhost", "ana@localhost", false},
		{"Ana <ana@example.org>", "Ana <ana@example.org>", false},
		{"ana@example.org\r\nBcc: eve@example.org", "ana@example.org\r\nBcc: eve@example.org", false},
		{strings.Repeat("a", 250) + "@b.co", strings.Repeat("a", 250) + "@b.co", false},
		{"an\xffa@example.org", "an\xffa@example.org", false},
		{"x@[127.0.0.1]", "x@[127.0.0.1]", false},
		{"<script>@example.org", "<script>@example.org", false},
	} {
		got, msg := CheckEmail(tc.in)
		if got != tc.want || (msg == "") != tc.ok {
			t.Errorf("CheckEmail(%q) = %q, %q; want %q, ok %v", tc.in, got, msg, tc.want, tc.ok)
		}
	}
}

func TestCheckNewPasswordRules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // a word of the message, or "" for accepted
	}{
		{"", "Choose"},
		{"short", "at least 8"},
		{"ünïcödé!", ""},
		{"a long password", ""},
		{strings.Repeat("x", 1024), "too easy to guess"},
		{"Zq8#mV2$uL9!" + strings.Repeat("x", 1012), ""},
		{strings.Repeat("x", 1025), "at most 1024"},
		{"a long\x00password", "not valid text"},
		{"a long \xffpassword", "not valid text"},
	} {
		got := CheckNewPassword(tc.in)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("CheckNewPassword(%.20q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
