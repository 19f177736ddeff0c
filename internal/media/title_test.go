package media

import (
	"testing"
	"time"
)

func TestCleanTitle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"01 - Intro.mp3", "Intro"},
		{"01. Intro.flac", "Intro"},
		{"01.Intro.flac", "Intro"},
		{"1-02 Second Disc Song.m4a", "Second Disc Song"},
		{"07 Seven.ogg", "Seven"},
		{"3) Third.wav", "Third"},
		{"12 - Twelve.mp3", "Twelve"},
		{"99 Luftballons.mp3", "99 Luftballons"},
		{"1999.mp3", "1999"},
		{"01.mp3", "01"},
		{"my_great__song.mp3", "my great song"},
		{"My.Great.Song.mp3", "My Great Song"},
		{"Mr. Brightside.mp3", "Mr. Brightside"},
		{"Track 1.5", "Track 1.5"},
		{"/home/me/Music/Album/05 - Song.mp3", "Song"},
		{`C:\Users\me\Music\04 - Windows Song.wav`, "Windows Song"},
		{"  spaced   out  .mp3", "spaced out"},
		{"Naïve Café — 夜.opus", "Naïve Café — 夜"},
		{"Nai\u0308ve.mp3", "Naïve"}, // decomposed input comes out NFC
		{"Sigur Rós – Hoppípolla.flac", "Sigur Rós – Hoppípolla"},
		{".mp3", "Untitled"},
		{"", "Untitled"},
		{"___.wav", "Untitled"},
		{"song\x00name\n.mp3", "song name"},
		{"Song....mp3", "Song..."},
	} {
		if got := CleanTitle(tc.in); got != tc.want {
			t.Errorf("CleanTitle(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestTagHelpers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n, y int
	}{
		{"3/12", 3, 0},
		{" 07 ", 7, 0},
		{"2019-05-01", 2019, 2019},
		{"05/01/2019", 5, 2019},
		{"x", 0, 0},
		{"", 0, 0},
		{"123456", 0, 0},
	} {
		if got := leadingInt(tc.in); got != tc.n {
			t.Errorf("leadingInt(%q) = %d; want %d", tc.in, got, tc.n)
		}
		if got := findYear(tc.in); got != tc.y {
			t.Errorf("findYear(%q) = %d; want %d", tc.in, got, tc.y)
		}
	}
	for in, want := range map[string]string{
		"  Title \x00 Two\r\n": "Title Two",
		"\uFEFFBOM":            "BOM",
		"Cafe\u0301":           "Café",
		"bad\xffutf8":          "badutf8",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q; want %q", in, got, want)
		}
	}
	tags := readTags(map[string]string{"TITLE": "From format"},
		map[string]string{"title": "From stream", "ALBUMARTIST": "AA", "TRACKNUMBER": "4", "DATE": "2001-02-03"})
	if tags.Title != "From format" || tags.AlbumArtist != "AA" || tags.TrackNumber != 4 || tags.Year != 2001 {
		t.Errorf("readTags = %+v", tags)
	}
	if got := formatSeconds(187 * time.Second); got != "3:07" {
		t.Errorf("formatSeconds = %q", got)
	}
}

func TestPeakAccumulator(t *testing.T) {
	t.Parallel()
	// Long input forces many merges: loud first half, silent second half.
	const n = 3_000_001
	a := newPeakAccumulator(PeakCount, peakBlocks)
	for i := range n {
		v := int16(0)
		if i < n/2 {
			v = -32768
			if i%2 == 0 {
				v = 1000
			}
		}
		a.add(v)
	}
	if len(a.blocks) > peakBlocks {
		t.Fatalf("%d blocks kept; bound is %d", len(a.blocks), peakBlocks)
	}
	p := a.peaks()
	if len(p) != PeakCount {
		t.Fatalf("len = %d", len(p))
	}
	for i, v := range p {
		if i < PeakCount/2-1 && v != 1 || i > PeakCount/2+1 && v != 0 {
			t.Fatalf("peaks[%d] = %v", i, v)
		}
	}

	// Very short input still yields PeakCount values.
	a = newPeakAccumulator(PeakCount, peakBlocks)
	for _, v := range []int16{100, -200, 50} {
		a.add(v)
	}
	p = a.peaks()
	if len(p) != PeakCount || p[0] != 0.5 || p[PeakCount/2] != 1 || p[PeakCount-1] != 0.25 {
		t.Errorf("short peaks: len %d, %v %v %v", len(p), p[0], p[PeakCount/2], p[PeakCount-1])
	}

	if p := newPeakAccumulator(PeakCount, peakBlocks).peaks(); p != nil {
		t.Errorf("no samples: %v", p)
	}
}
