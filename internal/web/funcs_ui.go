package web

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"

	"chorus/internal/chorus"
	"chorus/internal/money"
)

// Template helpers of the page design. They return plain strings and
// numbers only; html/template escapes them like any other value.
func init() {
	funcs["initials"] = initials
	funcs["tone"] = tone
	funcs["formatName"] = formatName
	funcs["peaksN"] = peaksN
	funcs["pageRange"] = pageRange
	funcs["plural"] = plural
	funcs["totalDuration"] = totalDuration
	funcs["licenceSummary"] = licenceSummary
	funcs["year"] = func(t time.Time) int { return t.Year() }
	funcs["seconds"] = func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	funcs["dict"] = dict
	// scores are the review scores, best first (chorus.Review.Score).
	funcs["scores"] = func() []int { return []int{5, 4, 3, 2, 1} }
	funcs["has"] = slices.Contains[[]string, string]
	funcs["money"] = money.FormatMinor // cents as "12.34"
}

// initials are the first letters of the first two words of s, upper-cased,
// for artwork placeholders: "Daft Punk" → "DP".
func initials(s string) string {
	var out []rune
	for _, w := range strings.Fields(s) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "♪"
	}
	return string(out)
}

// tone picks one of twelve placeholder colour schemes (CSS classes ph-0 …
// ph-11) from s, so that the same name always gets the same colours.
func tone(s string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return int(h.Sum32() % 12)
}

// formatName is how people call an audio format.
func formatName(f string) string {
	switch strings.ToLower(f) {
	case "mp3":
		return "MP3"
	case "ogg", "vorbis":
		return "Ogg Vorbis"
	case "opus":
		return "Opus"
	case "flac":
		return "FLAC"
	case "wav":
		return "WAV"
	case "m4a", "aac", "mp4":
		return "AAC"
	case "":
		return "original"
	}
	return strings.ToUpper(f)
}

// peaksN reduces a waveform to at most n values (the loudest of each group)
// and writes them like peaksAttr, for lists where the full waveform would
// make the page heavy.
func peaksN(n int, p []float32) string {
	if n <= 0 || len(p) == 0 {
		return ""
	}
	var b strings.Builder
	if len(p) <= n {
		n = len(p)
	}
	for i := 0; i < n; i++ {
		lo, hi := i*len(p)/n, (i+1)*len(p)/n
		m := float32(0)
		for _, v := range p[lo:hi] {
			if v > m {
				m = v
			}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%.2g", m)
	}
	return b.String()
}

// pageRange lists the page numbers to link around the current page; 0
// stands for a gap ("…").
func pageRange(page, pages int) []int {
	if pages <= 1 {
		return nil
	}
	var out []int
	last := 0
	for i := 1; i <= pages; i++ {
		if i == 1 || i == pages || (i >= page-2 && i <= page+2) {
			if last != 0 && i > last+1 {
				out = append(out, 0)
			}
			out = append(out, i)
			last = i
		}
	}
	return out
}

// plural writes "1 track" or "3 tracks".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func totalDuration(ts []chorus.Track) time.Duration {
	var d time.Duration
	for _, t := range ts {
		d += t.Duration
	}
	return d
}

// licenceSummary says in plain words what a licence lets people do.
func licenceSummary(l chorus.Licence) string {
	if !l.Attribution {
		return "Anyone may use this music for anything, without asking and without credit."
	}
	s := "Anyone may share"
	if l.Derivatives {
		s += " and adapt"
	}
	s += " this music"
	if l.Commercial {
		s += ", even commercially,"
	} else {
		s += " for non-commercial purposes"
	}
	s += " as long as they credit the artist"
	if l.ShareAlike {
		s += " and share adaptations under the same licence"
	}
	if !l.Derivatives {
		s += "; it may not be shared in modified form"
	}
	return s + "."
}

// dict builds a map for passing several values to a partial:
// {{template "cover" dict "Track" . "Size" 300}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
