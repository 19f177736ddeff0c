package chorus

import (
	"unicode"

	"github.com/mtibben/confusables"
)

// UsernameKey is the form of a username that must be unique: NFKC and
// case-folded (FoldKey), so "Ａlice" and "alice" are one name.
func UsernameKey(s string) string { return FoldKey(s) }

// UsernameSkeleton is the Unicode TR #39 §4 skeleton of a username's key:
// two names with the same skeleton look alike ("alice" with a Cyrillic "а",
// "paypal" and "paypa1"), so only the first to register may have it.
func UsernameSkeleton(s string) string { return confusables.Skeleton(UsernameKey(s)) }

// scriptGroups are the writing systems a username's letters may come from;
// a name uses one group only (TR #39 §5.2 "single script"), with Han, Kana
// and Hangul allowed together as one East Asian group.
var scriptGroups = [][]*unicode.RangeTable{
	{unicode.Latin}, {unicode.Cyrillic}, {unicode.Greek}, {unicode.Armenian}, {unicode.Georgian},
	{unicode.Arabic}, {unicode.Hebrew}, {unicode.Thai}, {unicode.Devanagari}, {unicode.Bengali},
	{unicode.Tamil}, {unicode.Ethiopic},
	{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul},
}

// MixedScript reports whether the letters of s come from more than one
// writing system, the usual trick of a look-alike name ("pаypal" with a
// Cyrillic "а"). Digits and punctuation belong to every script.
func MixedScript(s string) bool {
	group := -1
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		g := -2 // a letter of a script not listed: its own group
		for i, tables := range scriptGroups {
			if unicode.In(r, tables...) {
				g = i
				break
			}
		}
		if group == -1 {
			group = g
		} else if g != group || g == -2 {
			return true
		}
	}
	return false
}
