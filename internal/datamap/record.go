package datamap

import (
	"fmt"
	"strings"
)

// RecordRow is one line of the record of processing: one column holding
// personal data, or one kind of stored file.
type RecordRow struct {
	Where      string // "members.email", or a kind of file
	Category   Category
	Purposes   string
	Mandatory  string // the service that needs it, or "optional"
	Visibility Visibility
	Retention  string
	Erasure    string
	// Processors names the registered processors that receive data of
	// the row's category, from the processors register.
	Processors string
}

// Record returns the record of processing activities (GDPR Art. 30(1))
// of what Chorus holds about its members: every personal column of every
// table (on either database) and every kind of stored file, with the
// processors of register that receive each.
func Record(register []Registered) []RecordRow {
	var out []RecordRow
	seen := map[string]bool{}
	for _, t := range Tables {
		for _, c := range t.Columns {
			where := t.Name + "." + c.Name
			if !c.Personal() || seen[where] {
				continue
			}
			seen[where] = true
			var purposes []string
			for _, p := range c.Purposes {
				purposes = append(purposes, string(p))
			}
			out = append(out, RecordRow{Where: where, Category: c.Category, Purposes: strings.Join(purposes, "; "),
				Mandatory: or(c.Mandatory, "optional"), Visibility: c.Visibility, Retention: c.Retention,
				Erasure: erasureText(t, c.Erasure), Processors: Recipients(c.Category, register)})
		}
	}
	for _, f := range Files {
		out = append(out, RecordRow{Where: string(f.Kind) + " (" + f.Where + ")", Category: f.Category, Purposes: string(Publish),
			Mandatory: "optional", Visibility: f.Visibility, Retention: f.Retention, Erasure: erasureText(Table{Rows: DeleteRows}, f.Erasure),
			Processors: Recipients(f.Category, register)})
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func erasureText(t Table, e Erasure) string {
	switch e.Action {
	case Keep:
		return fmt.Sprintf("kept: %s, for %s", e.Obligation, e.Period)
	case Anonymise:
		return "anonymised"
	}
	if t.Rows == DeleteRows {
		return "deleted with the row"
	}
	return "deleted"
}

// RecordMarkdown writes the record of processing as a Markdown document
// for site (the controller's site, by its public address), with the
// processors of register.
func RecordMarkdown(site string, register []Registered) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Record of processing activities\n\n")
	fmt.Fprintf(&b, "GDPR Article 30(1), for the Chorus site at %s. Generated from the data map (internal/datamap).\n\n", site)
	b.WriteString("- Data subjects: members (listeners and artists) and the people who write to them.\n")
	b.WriteString("- Controller: the operator of the site above.\n")
	b.WriteString("- Recipients: the processors named below, and everyone for what is public.\n")
	b.WriteString("- Security: passwords as argon2id hashes, tokens and codes as hashes, TLS for mail, IP addresses truncated.\n\n")
	b.WriteString("| data | category | purposes | mandatory for | visible to | kept | erasure | processors |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, r := range Record(register) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(r.Where), r.Category, cell(r.Purposes), cell(r.Mandatory),
			r.Visibility, cell(r.Retention), cell(r.Erasure), cell(r.Processors))
	}
	b.WriteString("\n## Processors\n\nFrom the processors register (GDPR Art. 30(1)(d), (e)).\n\n")
	if len(register) == 0 {
		b.WriteString("None: no third party receives personal data.\n")
		return b.String()
	}
	b.WriteString("| name | service | location | categories received | purpose |\n| --- | --- | --- | --- | --- |\n")
	for _, p := range register {
		cats := make([]string, len(p.Categories))
		for i, c := range p.Categories {
			cats[i] = string(c)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(p.Name), cell(p.Service), cell(p.Location()), strings.Join(cats, ", "), cell(p.Purpose))
	}
	return b.String()
}
