package media

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CleanTitle turns an uploaded file's name into a fallback track title, for
// files without a title tag.
//
// It drops any directories (both / and \, since browsers on Windows may send
// full paths) and the extension, turns underscores into spaces, strips a
// leading track number such as "01 - ", "01.", "3) " or "1-02 ", turns dots
// not followed by a space into spaces ("My.Song" but "Mr. Brightside"),
// collapses white space, and returns the result in Unicode NFC form. A name
// with nothing left becomes "Untitled".
//
// A bare number followed only by a space is stripped only when zero-padded
// ("07 Song"), so titles such as "99 Luftballons" survive.
func CleanTitle(filename string) string {
	s := strings.ToValidUTF8(filename, "")
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = trimExtension(s)
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		if r == '_' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = stripTrackNumber(s)

	// Dots separate words in names like "My.Song", so they become spaces,
	// except where they end an abbreviation ("Mr. X") or the title ("St."),
	// form an ellipsis ("..."), or sit inside a number ("1.5").
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	var b strings.Builder
	for i, r := range s {
		if r == '.' && i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '.' && (i == 0 || s[i-1] != '.') &&
			!(i > 0 && digit(s[i-1]) && digit(s[i+1])) {
			r = ' '
		}
		b.WriteRune(r)
	}
	s = strings.Join(strings.Fields(b.String()), " ")
	s = strings.Trim(s, " -–—")
	if s == "" {
		return "Untitled"
	}
	return s
}

// trimExtension removes a final ".ext" of 1–5 ASCII letters and digits with
// at least one letter, so "Track 1.5" and "Mr. Brightside" keep their dots.
func trimExtension(s string) string {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || len(s)-i-1 < 1 || len(s)-i-1 > 5 {
		return s
	}
	letter := false
	for _, r := range s[i+1:] {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9':
		default:
			return s
		}
	}
	if !letter {
		return s
	}
	return s[:i]
}

// stripTrackNumber removes a leading "01 - ", "01. ", "1-02 ", "3) ", "07 "
// and the like from s (already trimmed, underscores turned into spaces). It
// leaves s alone when nothing would remain.
func stripTrackNumber(s string) string {
	digits := func(s string) int {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		return n
	}
	n := digits(s)
	if n == 0 || n > 3 {
		return s
	}
	i := n
	// Disc-track form "1-02".
	if i+1 < len(s) && (s[i] == '-' || s[i] == '.') {
		if m := digits(s[i+1:]); m >= 1 && m <= 3 && i+1+m < len(s) && s[i+1+m] == ' ' {
			i += 1 + m
		}
	}
	// Separator: spaces, dashes, dots, closing brackets, colons.
	rest := s[i:]
	explicit := false
	for rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		switch r {
		case ' ':
		case '-', '–', '—', '.', ')', ']', ':':
			explicit = true
		default:
			goto done
		}
		rest = rest[size:]
	}
done:
	if len(rest) == len(s[i:]) || rest == "" {
		return s // no separator ("2Pac"), or nothing after the number
	}
	if !explicit && s[0] != '0' && i == n {
		return s // "99 Luftballons": a plain number is probably part of the title
	}
	return rest
}
