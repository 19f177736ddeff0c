package datamap_test

import (
	"strings"
	"testing"

	"chorus/internal/datamap"
)

// TestDeclarationsAreComplete checks that every column says either what
// personal data it holds, with each part of the policy filled in, or why
// it holds none; and that every table says how erasure finds its rows.
func TestDeclarationsAreComplete(t *testing.T) {
	seen := map[string]bool{}
	kinds := map[datamap.FileKind]bool{}
	for _, f := range datamap.Files {
		kinds[f.Kind] = true
		if f.Category == "" || f.Retention == "" || f.Erasure.Action == "" || f.Where == "" {
			t.Errorf("file kind %q: category, place, retention and erasure must be declared", f.Kind)
		}
	}
	for _, table := range datamap.Tables {
		key := table.Dialect + "/" + table.Name
		if seen[key] {
			t.Errorf("table %s is declared twice", table.Name)
		}
		seen[key] = true
		if table.About == "" {
			t.Errorf("table %s: say what it holds (About)", table.Name)
		}
		personal := false
		cols := map[string]bool{}
		for _, c := range table.Columns {
			name := table.Name + "." + c.Name
			if cols[c.Name] {
				t.Errorf("%s is declared twice", name)
			}
			cols[c.Name] = true
			if !c.Personal() {
				if c.NotPersonal == "" {
					t.Errorf("%s: neither a data category nor a reason why it holds no personal data", name)
				}
				continue
			}
			personal = true
			if c.NotPersonal != "" {
				t.Errorf("%s: declared both personal and not personal", name)
			}
			if !strings.HasPrefix(string(c.Category), "user.") {
				t.Errorf("%s: category %q is not a Fides user category", name, c.Category)
			}
			if len(c.Purposes) == 0 || c.Visibility == "" || c.Retention == "" || c.Export.Note == "" || c.Erasure.Action == "" {
				t.Errorf("%s: purposes, visibility, retention, export and erasure must all be declared", name)
			}
			if c.Erasure.Action == datamap.Keep && (c.Erasure.Obligation == "" || c.Erasure.Period == "") {
				t.Errorf("%s: kept under which legal obligation, for how long?", name)
			}
			if table.Rows == datamap.UpdateRows && c.Erasure.Action != datamap.Keep && c.Erasure.Value == "" {
				t.Errorf("%s: rows are kept, so say what the value becomes", name)
			}
			if c.Files != "" && !kinds[c.Files] {
				t.Errorf("%s: file kind %q is not declared in Files", name, c.Files)
			}
		}
		switch {
		case personal && table.Rows == datamap.NoRows:
			t.Errorf("table %s holds personal data but erasure does nothing to it", table.Name)
		case personal && table.Owner.Where == "" && table.Owner.SessionKey == "":
			t.Errorf("table %s holds personal data but does not say which rows are a member's (Owner)", table.Name)
		}
	}
}

// TestFormFieldsAreDeclared names the fields the forms take from the map.
func TestFormFieldsAreDeclared(t *testing.T) {
	for _, f := range []string{"email", "username", "password_hash", "real_name", "location", "bio", "links", "picture_key"} {
		if c := datamap.Field("members", f); c.Why == "" {
			t.Errorf("members.%s: a form asks for it, so say why (Why)", f)
		}
	}
}
