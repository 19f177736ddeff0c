package chorus

import (
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// UsernameKey is the form of a username that must be unique: NFKC and
// case-folded (FoldKey), so "Ａlice" and "alice" are one name.
func UsernameKey(s string) string { return FoldKey(s) }

// UsernameSkeleton is what a username looks like, for refusing look-alikes
// of a taken name: the Unicode TR #39 §4 skeleton, taken before case
// folding (a capital "I" looks like "l") and again after it, with Latin
// small capitals read as their letters ("ᴀʟɪᴄᴇ") and the separators '.',
// '-' and '_' left out ("ali.ce", "alice_"). Two names with the same
// skeleton could be mistaken for each other ("alice" with a Cyrillic "а",
// "paypa1", "b0ss"), so only the first to register may have it.
func UsernameSkeleton(s string) string {
	k := norm.NFKC.String(s)
	k = smallCapitals.Replace(confusables.Skeleton(smallCapitals.Replace(k)))
	k = cases.Fold().String(k)
	k = smallCapitals.Replace(confusables.Skeleton(k))
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' {
			return -1
		}
		return r
	}, k)
}

// smallCapitals reads the Latin small capitals (and the like), which the
// confusables table leaves apart from the letters they imitate.
var smallCapitals = strings.NewReplacer(
	"ᴀ", "a", "ʙ", "b", "ᴄ", "c", "ᴅ", "d", "ᴇ", "e", "ꜰ", "f", "ɢ", "g", "ʜ", "h", "ɪ", "i", "ᴊ", "j",
	"ᴋ", "k", "ʟ", "l", "ᴍ", "m", "ʍ", "m", "ɴ", "n", "ᴏ", "o", "ᴘ", "p", "ʀ", "r", "ꜱ", "s", "ᴛ", "t", "ᴜ", "u",
	"ᴠ", "v", "ᴡ", "w", "ʏ", "y", "ᴢ", "z",
)

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
