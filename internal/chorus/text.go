package chorus

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// FoldKey is the form of a name used to decide whether two names are the
// same: Unicode NFKC, case-folded, with spaces collapsed (Unicode TR #15,
// TR #21 §3.13 default caseless matching).
func FoldKey(s string) string {
	s = norm.NFKC.String(s)
	s = cases.Fold().String(s)
	return strings.Join(strings.Fields(s), " ")
}

// SearchText lower-cases s, removes accents and turns everything that is
// not a letter or digit into a space, so that "Naïve Café!" and "naive cafe"
// index and match alike.
func SearchText(s string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = cases.Fold().String(out)
	var b strings.Builder
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Slug makes a URL path segment from a name: accents removed, lower case,
// ASCII letters and digits separated by single hyphens. Names with no Latin
// letters keep their letters (URL-escaped by the caller); an empty result
// becomes "untitled".
func Slug(s string) string {
	words := strings.Fields(SearchText(s))
	slug := strings.Join(words, "-")
	if r := []rune(slug); len(r) > 80 {
		slug = strings.TrimRight(string(r[:80]), "-")
	}
	if slug == "" {
		return "untitled"
	}
	return slug
}

// CleanText trims s, removes control characters (keeping newlines when
// multiline) and limits it to max runes. It is applied to every free-text
// field before it is stored.
func CleanText(s string, max int, multiline bool) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == unicode.ReplacementChar || isBidiControl(r) {
			continue
		}
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			if r == '\r' {
				continue
			}
			r = ' '
		}
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// isBidiControl reports the explicit directional formatting characters of
// Unicode UAX #9 §2 (embeddings, overrides, isolates), which can make text
// display as something else than it is ("Trojan Source", CVE-2021-42574).
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
