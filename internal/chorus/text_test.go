package chorus

import (
	"errors"
	"testing"
)

func TestSearchTextAndKeys(t *testing.T) {
	for _, tc := range []struct{ in, search, key, slug string }{
		{"Naïve Café", "naive cafe", "naïve café", "naive-cafe"},
		{"  ÉLODIE   Brünn ", "elodie brunn", "élodie brünn", "elodie-brunn"},
		{"Straße", "strasse", "strasse", "strasse"},
		{"ﬁnal Ⅳ", "final iv", "final iv", "final-iv"},
		{"夜の曲 — Ω!", "夜の曲 ω", "夜の曲 — ω!", "夜の曲-ω"},
		{"<script>", "script", "<script>", "script"},
		{"", "", "", "untitled"},
		{"!!!", "", "!!!", "untitled"},
	} {
		if got := SearchText(tc.in); got != tc.search {
			t.Errorf("SearchText(%q) = %q, want %q", tc.in, got, tc.search)
		}
		if got := FoldKey(tc.in); got != tc.key {
			t.Errorf("FoldKey(%q) = %q, want %q", tc.in, got, tc.key)
		}
		if got := Slug(tc.in); got != tc.slug {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.slug)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		in        string
		max       int
		multiline bool
		want      string
	}{
		{"  hello\tworld  ", 100, false, "hello world"},
		{"line1\r\nline2", 100, true, "line1\nline2"},
		{"line1\nline2", 100, false, "line1 line2"},
		{"red\u202Eevil", 100, false, "redevil"},
		{"a\u2066b\u2069c", 100, false, "abc"},
		{"Caf\xe9", 100, false, "Caf"},
		{"éééé", 2, false, "éé"},
		{"e\u0301", 10, false, "é"}, // NFC
	} {
		if got := CleanText(tc.in, tc.max, tc.multiline); got != tc.want {
			t.Errorf("CleanText(%q, %d, %v) = %q, want %q", tc.in, tc.max, tc.multiline, got, tc.want)
		}
	}
}

func TestLicences(t *testing.T) {
	for in, want := range map[string]string{
		"cc-by-4.0": "cc-by-4.0", "CC BY-SA 4.0": "cc-by-sa-4.0", "by-nc-nd": "cc-by-nc-nd-4.0",
		"cc0": "cc0-1.0", "CC0 1.0": "cc0-1.0", "by": "cc-by-4.0",
	} {
		l, err := LicenceByID(in)
		if err != nil || l.ID != want {
			t.Errorf("LicenceByID(%q) = %q, %v; want %q", in, l.ID, err, want)
		}
	}
	for _, bad := range []string{"", "gpl", "cc-by-3.0", "by-xx"} {
		if _, err := LicenceByID(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("LicenceByID(%q): %v, want ErrNotFound", bad, err)
		}
	}
	if n := len(Licences()); n != 7 {
		t.Errorf("%d licences, want the six CC 4.0 licences and CC0", n)
	}
	by, _ := LicenceByID("cc-by-4.0")
	if got := by.AttributionText("Song", "Ana", "https://x/tracks/1"); got != "\u201cSong\u201d by Ana (https://x/tracks/1), licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" {
		t.Errorf("attribution: %q", got)
	}
	zero, _ := LicenceByID("cc0")
	if zero.Attribution || zero.AttributionText("S", "A", "") != "\u201cS\u201d by A, dedicated to the public domain under CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/)" {
		t.Errorf("CC0 attribution: %q", zero.AttributionText("S", "A", ""))
	}
}
