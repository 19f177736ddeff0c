package pro

import (
	"embed"
	"strings"
)

//go:embed agreements/*.md
var agreements embed.FS

// AgreementVersion is the version of the distribution agreement members
// accept now; its text is agreements/VERSION.md. A new version is a new
// file and a new constant: acceptances of the old one stay as they were,
// and sales need the current one (store.DB.ProSellable).
const AgreementVersion = "2026-11"

// Agreement returns the Markdown text of the current distribution agreement.
func Agreement() string {
	b, err := agreements.ReadFile("agreements/" + AgreementVersion + ".md")
	if err != nil {
		panic("pro: the agreement of version " + AgreementVersion + " is not embedded")
	}
	return string(b)
}

// AgreementParagraphs splits the agreement into its title and paragraphs
// of plain text (Markdown emphasis and list numbers kept as written),
// for a page to show without a Markdown renderer.
func AgreementParagraphs() (title string, paras []string) {
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.ReplaceAll(strings.Join(cur, " "), "**", ""))
			cur = nil
		}
	}
	for _, line := range strings.Split(Agreement(), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "# "):
			title = strings.TrimPrefix(t, "# ")
		case t == "":
			flush()
		case len(t) > 2 && t[0] >= '0' && t[0] <= '9' && strings.Contains(t[:3], "."):
			flush()
			cur = append(cur, t)
		default:
			cur = append(cur, t)
		}
	}
	flush()
	return title, paras
}
