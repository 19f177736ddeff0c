package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/publishing"
)

var funcs = template.FuncMap{
	// duration writes m:ss or h:mm:ss.
	"duration": formatDuration,
	"bytes":    publishing.FormatBytes,
	"licence": func(id string) chorus.Licence {
		l, _ := chorus.LicenceByID(id)
		return l
	},
	"licences":    chorus.Licences,
	"date":        func(t time.Time) string { return t.Format("2 January 2006") },
	"pathEscape":  url.PathEscape,
	"lower":       strings.ToLower,
	"queryEscape": url.QueryEscape,
	"join":        strings.Join,
	"add":         func(a, b int) int { return a + b },
	"historyKind": historyKind,
	"sub":         func(a, b int) int { return a - b },
	"sourceLabel": sourceLabel,
	"peaksAttr": func(p []float32) string {
		var b strings.Builder
		for i, v := range p {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.3g", v)
		}
		return b.String()
	},
}

func formatDuration(d time.Duration) string {
	sec := int(d.Round(time.Second) / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// sourceLabel says in words where a privacy choice was made.
func sourceLabel(s consent.Source) string {
	switch s {
	case consent.FromBanner:
		return "on the banner"
	case consent.FromChoices:
		return "on the privacy choices page"
	case consent.FromSettings:
		return "in your settings"
	case consent.FromVisit:
		return "on this browser before you logged in"
	case consent.FromAccount:
		return "with your account, applied to this browser when you logged in"
	}
	return string(s)
}
